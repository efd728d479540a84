//! DBSCAN (Ester et al., 1996) with exactly scikit-learn's labels on the same points and
//! parameters: the neighbours of a point are the points at Euclidean distance ≤ eps (the
//! point itself included, and counted in `min_samples`); a core point has at least
//! `min_samples` neighbours; clusters are grown from core points taken in index order and
//! numbered from 0 in that order; a border point reachable from two clusters joins the one
//! that reached it first (the one with the lower-index core point); noise is −1.
//!
//! Distances are compared as scikit-learn's k-d tree compares them: the sum of squared
//! coordinate differences, in feature order, against eps², so ties at exactly eps fall the
//! same way. Up to three dimensions clusters grow on a grid of cells (`by_grid`); above, on
//! a k-d tree. Never a scan of all pairs.

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
    if n == 0 {
        return Ok(Vec::new());
    }
    if dim <= GRID_DIMS {
        return Ok(by_grid(&data, n, dim.max(1), eps, min_samples));
    }
    let tree = KdTree::build(Points { data: &data, dim }, n);
    let r2 = eps * eps;
    // Core points by counting neighbours up to min_samples; a core point's neighbours are
    // listed only when its cluster grows through it (scikit-learn lists them all first:
    // the same labels, without holding every neighbourhood at once).
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

/// Up to this many dimensions clusters grow cell by cell on a grid.
const GRID_DIMS: usize = 3;

/// DBSCAN on a grid of cells of side just under eps/√d, so that any two points of a cell are
/// within eps: a cell holding min_samples points makes them all core at once, the core
/// points of a cell are connected at once, and two nearby cells by the first close pair of
/// their core points. Clusters are the connected core points numbered by their lowest index,
/// and a border point takes the lowest-numbered cluster among its core neighbours — what
/// scikit-learn's depth-first growth from core points in index order gives.
fn by_grid(data: &[f64], n: usize, dim: usize, eps: f64, min_samples: usize) -> Vec<i64> {
    use std::collections::HashMap;
    type Key = [i64; GRID_DIMS];
    let side = eps / (dim as f64).sqrt() * (1.0 - 1e-9);
    // Two points within eps lie at most this many cells apart on each axis (one more for
    // rounding in the division).
    let reach = (eps / side).ceil() as i64 + 1;
    let r2 = eps * eps;
    let at = |i: usize| &data[i * dim..(i + 1) * dim];
    let key = |i: usize| -> Key {
        let mut k = [0; GRID_DIMS];
        for (d, x) in at(i).iter().enumerate() {
            k[d] = (x / side).floor() as i64;
        }
        k
    };
    let rdist = |i: usize, j: usize| {
        let mut s = 0.0;
        for (x, y) in at(i).iter().zip(at(j)) {
            let d = x - y;
            s += d * d;
        }
        s
    };
    let mut cells: HashMap<Key, Vec<usize>> = HashMap::new();
    for i in 0..n {
        cells.entry(key(i)).or_default().push(i);
    }
    let mut offsets: Vec<Key> = vec![[0; GRID_DIMS]];
    for d in 0..dim {
        offsets = offsets
            .iter()
            .flat_map(|o| {
                (-reach..=reach).map(move |step| {
                    let mut o = *o;
                    o[d] = step;
                    o
                })
            })
            .collect();
    }
    let (cells, offsets) = (&cells, &offsets);
    let near = |k: &Key| {
        let k = *k;
        offsets.iter().filter_map(move |o| {
            let mut c = k;
            for d in 0..GRID_DIMS {
                c[d] += o[d];
            }
            cells.get_key_value(&c)
        })
    };
    // Core points: a full cell at once, else counting neighbours up to min_samples.
    let mut core = vec![false; n];
    for (k, members) in cells {
        if members.len() >= min_samples {
            members.iter().for_each(|&i| core[i] = true);
            continue;
        }
        for &i in members {
            let mut count = 0;
            'count: for (_, others) in near(k) {
                for &j in others {
                    if rdist(i, j) <= r2 {
                        count += 1;
                        if count >= min_samples {
                            break 'count;
                        }
                    }
                }
            }
            core[i] = count >= min_samples;
        }
    }
    // Connected core points (union-find).
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let cores: HashMap<Key, Vec<usize>> = cells
        .iter()
        .map(|(k, m)| (*k, m.iter().copied().filter(|&i| core[i]).collect::<Vec<_>>()))
        .filter(|(_, c)| !c.is_empty())
        .collect();
    for c in cores.values() {
        for &i in &c[1..] {
            let (a, b) = (find(&mut parent, c[0]), find(&mut parent, i));
            parent[a.max(b)] = a.min(b);
        }
    }
    for (k, a) in &cores {
        for o in offsets {
            let mut other = *k;
            for d in 0..GRID_DIMS {
                other[d] += o[d];
            }
            // Each pair of cells once.
            if other <= *k {
                continue;
            }
            let Some(b) = cores.get(&other) else { continue };
            if find(&mut parent, a[0]) == find(&mut parent, b[0]) {
                continue;
            }
            if let Some((i, j)) =
                a.iter().flat_map(|&i| b.iter().map(move |&j| (i, j))).find(|&(i, j)| rdist(i, j) <= r2)
            {
                let (x, y) = (find(&mut parent, i), find(&mut parent, j));
                parent[x.max(y)] = x.min(y);
            }
        }
    }
    // Clusters numbered by their lowest-index core point.
    let mut labels = vec![-1i64; n];
    let mut number: HashMap<usize, i64> = HashMap::new();
    for i in 0..n {
        if core[i] {
            let root = find(&mut parent, i);
            let next = number.len() as i64;
            labels[i] = *number.entry(root).or_insert(next);
        }
    }
    // Border points: the lowest-numbered cluster among their core neighbours.
    for i in 0..n {
        if core[i] {
            continue;
        }
        let mut best = -1i64;
        for (_, others) in near(&key(i)) {
            for &j in others {
                if core[j] && (best == -1 || labels[j] < best) && rdist(i, j) <= r2 {
                    best = labels[j];
                }
            }
        }
        labels[i] = best;
    }
    labels
}
