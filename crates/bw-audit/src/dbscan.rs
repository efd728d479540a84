//! DBSCAN (Ester et al., 1996) with exactly scikit-learn's labels on the same points and
//! parameters: the neighbours of a point are the points at Euclidean distance ≤ eps (the
//! point itself included, and counted in `min_samples`); a core point has at least
//! `min_samples` neighbours; clusters are grown from core points taken in index order and
//! numbered from 0 in that order; a border point reachable from two clusters joins the one
//! that reached it first (the one with the lower-index core point); noise is −1.
//!
//! Distances are compared as scikit-learn's k-d tree compares them: the sum of squared
//! coordinate differences, in feature order, against eps², so ties at exactly eps fall the
//! same way. Neighbourhoods come from a k-d tree (O(n log n) on spread data), not a scan of
//! all pairs.

/// Why points cannot be clustered.
#[derive(Debug, Clone, PartialEq)]
pub enum DbscanError {
    /// Rows of different lengths (the first differing row).
    Ragged { row: usize, expected: usize, found: usize },
    /// A coordinate that is not a finite number.
    NotFinite { row: usize, column: usize },
    /// eps must be positive and finite; min_samples at least 1.
    Parameters(String),
}

impl std::fmt::Display for DbscanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbscanError::Ragged { row, expected, found } => {
                write!(f, "point {row} has {found} coordinates, the first has {expected}")
            }
            DbscanError::NotFinite { row, column } => {
                write!(f, "point {row}, coordinate {column}: not a finite number")
            }
            DbscanError::Parameters(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for DbscanError {}

/// Points stored row-major: `dim` coordinates per point.
struct Points<'a> {
    data: &'a [f64],
    dim: usize,
}

impl Points<'_> {
    fn at(&self, i: usize) -> &[f64] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Squared Euclidean distance, summed in feature order.
    fn rdist(&self, a: &[f64], i: usize) -> f64 {
        let mut s = 0.0;
        for (x, y) in a.iter().zip(self.at(i)) {
            let d = x - y;
            s += d * d;
        }
        s
    }
}

/// A k-d tree node over `idx[start..end]`: a leaf when small, else split at the median of
/// the widest coordinate.
struct Node {
    start: usize,
    end: usize,
    /// Bounding box of the node's points: (min, max) per coordinate.
    lo: Vec<f64>,
    hi: Vec<f64>,
    children: Option<(usize, usize)>,
}

struct KdTree<'a> {
    points: Points<'a>,
    idx: Vec<usize>,
    nodes: Vec<Node>,
}

const LEAF: usize = 32;

impl<'a> KdTree<'a> {
    fn build(points: Points<'a>, n: usize) -> KdTree<'a> {
        let mut t = KdTree { points, idx: (0..n).collect(), nodes: Vec::new() };
        if n > 0 {
            t.node(0, n);
        }
        t
    }

    fn node(&mut self, start: usize, end: usize) -> usize {
        let dim = self.points.dim;
        let (mut lo, mut hi) = (vec![f64::INFINITY; dim], vec![f64::NEG_INFINITY; dim]);
        for &i in &self.idx[start..end] {
            for (d, &x) in self.points.at(i).iter().enumerate() {
                lo[d] = lo[d].min(x);
                hi[d] = hi[d].max(x);
            }
        }
        let id = self.nodes.len();
        self.nodes.push(Node { start, end, lo: lo.clone(), hi: hi.clone(), children: None });
        if end - start > LEAF {
            let axis = (0..dim).max_by(|&a, &b| (hi[a] - lo[a]).total_cmp(&(hi[b] - lo[b]))).unwrap_or(0);
            if hi[axis] > lo[axis] {
                let mid = start + (end - start) / 2;
                let data = self.points.data;
                self.idx[start..end].select_nth_unstable_by(mid - start, |&a, &b| {
                    data[a * dim + axis].total_cmp(&data[b * dim + axis])
                });
                let left = self.node(start, mid);
                let right = self.node(mid, end);
                self.nodes[id].children = Some((left, right));
            }
        }
        id
    }

    /// The squared distance from `q` to the nearest point of a node's box.
    fn box_rdist(&self, node: &Node, q: &[f64]) -> f64 {
        let mut s = 0.0;
        for (d, &x) in q.iter().enumerate() {
            let gap = if x < node.lo[d] {
                node.lo[d] - x
            } else if x > node.hi[d] {
                x - node.hi[d]
            } else {
                0.0
            };
            s += gap * gap;
        }
        s
    }

    /// Calls `f` with each point within squared distance `r2` of `q` until it returns false.
    fn visit(&self, q: &[f64], r2: f64, mut f: impl FnMut(usize) -> bool) {
        if self.nodes.is_empty() {
            return;
        }
        let mut stack = vec![0usize];
        while let Some(n) = stack.pop() {
            let node = &self.nodes[n];
            // The box test only prunes: points inside are tested exactly below.
            if self.box_rdist(node, q) > r2 * (1.0 + 1e-12) {
                continue;
            }
            match node.children {
                Some((l, r)) => {
                    stack.push(r);
                    stack.push(l);
                }
                None => {
                    for &i in &self.idx[node.start..node.end] {
                        if self.points.rdist(q, i) <= r2 && !f(i) {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// How many points lie within squared distance `r2` of `q`, counting up to `limit`.
    fn count_within(&self, q: &[f64], r2: f64, limit: usize) -> usize {
        let mut count = 0;
        self.visit(q, r2, |_| {
            count += 1;
            count < limit
        });
        count
    }

    /// Every point whose squared distance to `q` is ≤ `r2`, appended to `out`.
    fn within(&self, q: &[f64], r2: f64, out: &mut Vec<usize>) {
        self.visit(q, r2, |i| {
            out.push(i);
            true
        });
    }
}

/// Labels `points` (each a slice of the same length) by DBSCAN: cluster numbers from 0,
/// noise −1.
pub fn dbscan(points: &[Vec<f64>], eps: f64, min_samples: usize) -> Result<Vec<i64>, DbscanError> {
    if !(eps > 0.0 && eps.is_finite()) {
        return Err(DbscanError::Parameters(format!("eps must be a positive number, not {eps}")));
    }
    if min_samples == 0 {
        return Err(DbscanError::Parameters("min_samples must be at least 1".into()));
    }
    let n = points.len();
    let dim = points.first().map(Vec::len).unwrap_or(0);
    let mut data = Vec::with_capacity(n * dim);
    for (row, p) in points.iter().enumerate() {
        if p.len() != dim {
            return Err(DbscanError::Ragged { row, expected: dim, found: p.len() });
        }
        if let Some(column) = p.iter().position(|x| !x.is_finite()) {
            return Err(DbscanError::NotFinite { row, column });
        }
        data.extend_from_slice(p);
    }
    let tree = KdTree::build(Points { data: &data, dim }, n);
    let r2 = eps * eps;
    // Core points by counting neighbours up to min_samples; a core point's neighbours are
    // listed only when its cluster grows through it (scikit-learn lists them all first:
    // the same labels, without holding every neighbourhood at once).
    if n == 0 {
        return Ok(Vec::new());
    }
    let at = |i: usize| &data[i * dim..(i + 1) * dim];
    let core: Vec<bool> = (0..n).map(|i| tree.count_within(at(i), r2, min_samples) >= min_samples).collect();
    let mut hood = Vec::new();
    let mut labels = vec![-1i64; n];
    let mut next = 0i64;
    let mut stack = Vec::new();
    for first in 0..n {
        if labels[first] != -1 || !core[first] {
            continue;
        }
        // Depth-first from the core point, as scikit-learn's inner loop.
        let mut i = first;
        loop {
            if labels[i] == -1 {
                labels[i] = next;
                if core[i] {
                    hood.clear();
                    tree.within(at(i), r2, &mut hood);
                    stack.extend(hood.iter().copied().filter(|&j| labels[j] == -1));
                }
            }
            match stack.pop() {
                Some(j) => i = j,
                None => break,
            }
        }
        next += 1;
    }
    Ok(labels)
}
