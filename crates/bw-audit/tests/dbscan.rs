//! DBSCAN labels as scikit-learn gives them, against a plain all-pairs reference with the
//! same definition.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

use bw_audit::dbscan::{DbscanError, dbscan};
use proptest::prelude::*;

/// All pairs, the definition as written: neighbours at squared distance ≤ eps², the point
/// itself counted; clusters grown depth-first from core points in index order.
fn reference(points: &[Vec<f64>], eps: f64, min_samples: usize) -> Vec<i64> {
    let n = points.len();
    let near = |i: usize, j: usize| {
        let s: f64 = points[i].iter().zip(&points[j]).map(|(a, b)| (a - b) * (a - b)).sum();
        s <= eps * eps
    };
    let hood: Vec<Vec<usize>> = (0..n).map(|i| (0..n).filter(|&j| near(i, j)).collect()).collect();
    let core: Vec<bool> = hood.iter().map(|h| h.len() >= min_samples).collect();
    let mut labels = vec![-1; n];
    let mut next = 0;
    for first in 0..n {
        if labels[first] != -1 || !core[first] {
            continue;
        }
        let mut stack = vec![first];
        while let Some(i) = stack.pop() {
            if labels[i] != -1 {
                continue;
            }
            labels[i] = next;
            if core[i] {
                stack.extend(hood[i].iter().copied().filter(|&j| labels[j] == -1));
            }
        }
        next += 1;
    }
    labels
}

fn p(x: f64, y: f64) -> Vec<f64> {
    vec![x, y]
}

#[test]
fn a_border_point_joins_the_cluster_whose_core_comes_first_and_the_far_point_is_noise() {
    let a = [p(0.0, 0.0), p(0.0, 0.1), p(0.1, 0.0), p(0.1, 0.1), p(0.05, 0.05), p(0.0, 0.05)];
    let b = [p(2.0, 0.0), p(2.0, 0.1), p(1.9, 0.0), p(1.9, 0.1), p(1.95, 0.05), p(2.0, 0.05)];
    // The bridge, first by index, within eps of two points of each cluster but core of none.
    let mut points = vec![p(1.0, 0.05)];
    points.extend(b.iter().cloned());
    points.extend(a.iter().cloned());
    points.push(p(10.0, 10.0));
    let labels = dbscan(&points, 0.92, 6).unwrap();
    assert_eq!(labels, [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, -1]);
    assert_eq!(labels, reference(&points, 0.92, 6));
}

#[test]
fn neighbours_at_exactly_eps_count_and_the_point_counts_itself() {
    // A unit grid: each point has its four axis neighbours at exactly 1.0.
    let grid: Vec<Vec<f64>> = (0..5).flat_map(|x| (0..5).map(move |y| p(f64::from(x), f64::from(y)))).collect();
    // Interior points are core (themselves and four at exactly 1.0), edge points border on
    // them, corners touch only edge points: noise.
    let labels = dbscan(&grid, 1.0, 5).unwrap();
    assert_eq!(labels.iter().filter(|l| **l == 0).count(), 21);
    assert_eq!([labels[0], labels[4], labels[20], labels[24]], [-1; 4]);
    assert_eq!(dbscan(&grid, 0.999_999, 2).unwrap(), vec![-1; 25]);
    // min_samples = 1: every point is core; separate points are clusters of their own.
    assert_eq!(dbscan(&[p(0.0, 0.0), p(5.0, 0.0), p(0.5, 0.0)], 1.0, 1).unwrap(), [0, 1, 0]);
    assert_eq!(dbscan(&[], 1.0, 1).unwrap(), Vec::<i64>::new());
}

#[test]
fn bad_input_is_refused_with_the_point_named() {
    assert_eq!(dbscan(&[p(0.0, 0.0), vec![1.0]], 1.0, 2), Err(DbscanError::Ragged { row: 1, expected: 2, found: 1 }));
    assert_eq!(dbscan(&[p(0.0, f64::NAN)], 1.0, 2), Err(DbscanError::NotFinite { row: 0, column: 1 }));
    assert!(dbscan(&[p(0.0, 0.0)], 0.0, 2).is_err());
    assert!(dbscan(&[p(0.0, 0.0)], 1.0, 0).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn the_tree_gives_the_labels_of_all_pairs(
        raw in prop::collection::vec(prop::collection::vec(0i32..40, 3), 1..400),
        eps_tenths in 1u32..60,
        min_samples in 1usize..8,
    ) {
        // Coordinates on a grid of tenths: many distances tie exactly at eps.
        let points: Vec<Vec<f64>> = raw.iter().map(|r| r.iter().map(|&v| f64::from(v) / 10.0).collect()).collect();
        let eps = f64::from(eps_tenths) / 10.0;
        prop_assert_eq!(dbscan(&points, eps, min_samples).unwrap(), reference(&points, eps, min_samples));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]
    #[test]
    fn the_tree_in_five_dimensions_gives_the_labels_of_all_pairs(
        raw in prop::collection::vec(prop::collection::vec(0i32..12, 5), 1..300),
        eps_tenths in 5u32..40,
        min_samples in 1usize..6,
    ) {
        let points: Vec<Vec<f64>> = raw.iter().map(|r| r.iter().map(|&v| f64::from(v) / 4.0).collect()).collect();
        let eps = f64::from(eps_tenths) / 10.0;
        prop_assert_eq!(dbscan(&points, eps, min_samples).unwrap(), reference(&points, eps, min_samples));
    }

    #[test]
    fn one_and_two_dimensions_give_the_labels_of_all_pairs(
        raw in prop::collection::vec((0i32..60, 0i32..60), 1..400),
        eps_tenths in 1u32..40,
        min_samples in 1usize..8,
        flat in any::<bool>(),
    ) {
        let points: Vec<Vec<f64>> = raw
            .iter()
            .map(|&(x, y)| if flat { vec![f64::from(x) / 10.0] } else { vec![f64::from(x) / 10.0, f64::from(y) / 10.0] })
            .collect();
        let eps = f64::from(eps_tenths) / 10.0;
        prop_assert_eq!(dbscan(&points, eps, min_samples).unwrap(), reference(&points, eps, min_samples));
    }
}
