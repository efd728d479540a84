//! The RFC 6962 / RFC 9162 Merkle tree over the journal: tree heads at any size, inclusion
//! and consistency proofs and their verification, computed from stored hashes.
//!
//! Interior hashes are kept as C2SP `tlog-tiles`: a tile at tile level `L` and index `N`
//! holds the hashes of tree level `8·L` at positions `256·N .. 256·N + 256` (fewer at the
//! right edge while the tree grows). Level-0 tiles are the leaf hashes. Any complete,
//! aligned subtree — the only kind RFC 6962's recursions ask for — is one tile read plus at
//! most 255 hashes, so a proof reads O(log n) stored hashes and never rehashes the log.

use crate::{Hash, Suite};

/// Hashes per tile (C2SP tlog-tiles: height 8).
pub const TILE_WIDTH: u64 = 256;
/// Tree levels per tile level.
pub const TILE_HEIGHT: u32 = 8;

/// Where a proof reads its hashes: the hash of the complete subtree of `2^level` leaves
/// starting at leaf `index << level`.
pub trait NodeSource {
    type Error;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error>;
    /// The hash the tree is built with.
    fn suite(&self) -> Suite;
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// MTH of leaves `start..end`, where `start` is aligned to the largest power of two not
/// above `end - start` (true of every range RFC 6962's recursions visit).
pub fn subtree_root<S: NodeSource>(src: &mut S, start: u64, end: u64) -> Result<Hash, S::Error> {
    let n = end - start;
    if n.is_power_of_two() {
        let level = n.trailing_zeros();
        return src.node(level, start >> level);
    }
    let k = split(n);
    let left = src.node(k.trailing_zeros(), start >> k.trailing_zeros())?;
    let right = subtree_root(src, start + k, end)?;
    Ok(src.suite().node(&left, &right))
}

/// The tree head (root hash) at `size` leaves; SHA-256 of nothing for the empty tree.
pub fn root<S: NodeSource>(src: &mut S, size: u64) -> Result<Hash, S::Error> {
    if size == 0 {
        return Ok(src.suite().empty_root());
    }
    subtree_root(src, 0, size)
}

/// RFC 6962 §2.1.1 PATH(m, D[start..end]): the inclusion proof of leaf `m`.
fn path<S: NodeSource>(src: &mut S, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) -> Result<(), S::Error> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(src, m, start, start + k, out)?;
        out.push(subtree_root(src, start + k, end)?);
    } else {
        path(src, m - k, start + k, end, out)?;
        out.push(subtree_root(src, start, start + k)?);
    }
    Ok(())
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves (`index < size`).
pub fn inclusion_proof<S: NodeSource>(src: &mut S, index: u64, size: u64) -> Result<Vec<Hash>, S::Error> {
    let mut out = Vec::new();
    if index < size {
        path(src, index, 0, size, &mut out)?;
    }
    Ok(out)
}

/// RFC 6962 §2.1.2 SUBPROOF(m, D[start..end], b).
fn subproof<S: NodeSource>(
    src: &mut S,
    m: u64,
    start: u64,
    end: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    let n = end - start;
    if m == n {
        if !whole {
            out.push(subtree_root(src, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(src, m, start, start + k, whole, out)?;
        out.push(subtree_root(src, start + k, end)?);
    } else {
        subproof(src, m - k, start + k, end, false, out)?;
        out.push(subtree_root(src, start, start + k)?);
    }
    Ok(())
}

/// The consistency proof from the tree of `old` leaves to the tree of `new` leaves
/// (`0 < old ≤ new`; empty when they are equal).
pub fn consistency_proof<S: NodeSource>(src: &mut S, old: u64, new: u64) -> Result<Vec<Hash>, S::Error> {
    let mut out = Vec::new();
    if 0 < old && old < new {
        subproof(src, old, 0, new, true, &mut out)?;
    }
    Ok(out)
}

/// RFC 9162 §2.1.3.2: checks that `leaf` is at `index` in the tree of `size` with `root`.
pub fn verify_inclusion(suite: Suite, leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    let node_hash = |l: &Hash, r: &Hash| suite.node(l, r);
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: checks that the tree of `new` leaves with `new_root` extends the
/// tree of `old` leaves with `old_root`.
pub fn verify_consistency(suite: Suite, old: u64, new: u64, old_root: &Hash, new_root: &Hash, proof: &[Hash]) -> bool {
    let node_hash = |l: &Hash, r: &Hash| suite.node(l, r);
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty();
    }
    let mut proof: Vec<Hash> = proof.to_vec();
    if old.is_power_of_two() {
        proof.insert(0, *old_root);
    }
    let Some((first, rest)) = proof.split_first() else {
        return false;
    };
    let (mut f_n, mut s_n) = (old - 1, new - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && fr == *old_root && sr == *new_root
}

/// The hashes of a tree kept level by level in memory: the reference the stored tiles are
/// tested against, and the builder of the tiles' contents on append.
#[derive(Clone, Debug)]
pub struct MemoryTree {
    /// `levels[l][i]` = hash of the complete subtree of level `l` at index `i`.
    levels: Vec<Vec<Hash>>,
    suite: Suite,
}

impl MemoryTree {
    pub fn new(suite: Suite) -> MemoryTree {
        MemoryTree { levels: vec![Vec::new()], suite }
    }

    pub fn size(&self) -> u64 {
        self.levels.first().map(|l| l.len() as u64).unwrap_or(0)
    }

    /// Appends a leaf hash and every subtree it completes.
    pub fn push(&mut self, leaf: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let n = self.levels[level].len();
            let h = self.suite.node(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(h);
            level += 1;
        }
    }

    pub fn level(&self, level: u32) -> &[Hash] {
        self.levels.get(level as usize).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// A node the tree does not (yet) have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no node at level {level}, index {index}")]
pub struct MissingNode {
    pub level: u32,
    pub index: u64,
}

impl NodeSource for MemoryTree {
    type Error = MissingNode;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, MissingNode> {
        self.levels.get(level as usize).and_then(|l| l.get(index as usize)).copied().ok_or(MissingNode { level, index })
    }
    fn suite(&self) -> Suite {
        self.suite
    }
}

/// Notes which tiles a computation reads, answering with placeholder hashes: run a proof
/// or root once with it, fetch the tiles it names, then run it on a `TileSource`.
#[derive(Default, Debug)]
pub struct TileRecorder(pub std::collections::BTreeSet<(u32, u64)>);

impl NodeSource for TileRecorder {
    type Error = MissingNode;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, MissingNode> {
        let first = index << (level % TILE_HEIGHT);
        self.0.insert((level / TILE_HEIGHT, first / TILE_WIDTH));
        Ok([0; 32])
    }
    /// The placeholder hashes it combines are never used.
    fn suite(&self) -> Suite {
        Suite::default()
    }
}

/// Nodes from tiles: `tile(L, N)` returns the hashes the tile holds (possibly partial).
pub struct TileSource<F> {
    pub tile: F,
    pub suite: Suite,
}

impl<F, E> NodeSource for TileSource<F>
where
    F: FnMut(u32, u64) -> Result<Vec<Hash>, E>,
    E: From<MissingNode>,
{
    type Error = E;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, E> {
        // The node sits `sub` levels above tile level `tl`; it spans 2^sub hashes there.
        let tl = level / TILE_HEIGHT;
        let sub = level % TILE_HEIGHT;
        let width = 1u64 << sub;
        let first = index * width; // position at level 8·tl
        let tile = (self.tile)(tl, first / TILE_WIDTH)?;
        let offset = (first % TILE_WIDTH) as usize;
        let Some(hashes) = tile.get(offset..offset + width as usize) else {
            return Err(MissingNode { level, index }.into());
        };
        Ok(block_root(self.suite, hashes))
    }
    fn suite(&self) -> Suite {
        self.suite
    }
}

/// The tiles' new contents after leaves `old..new` were appended: for each tile touched,
/// (tile level, tile index, its full list of hashes). `tree` must hold at least `new` leaves.
pub fn tiles_touched(tree: &MemoryTree, old: u64, new: u64) -> Vec<(u32, u64, Vec<Hash>)> {
    let mut out = Vec::new();
    let mut tl = 0u32;
    loop {
        let level = tl * TILE_HEIGHT;
        let count_new = new >> level;
        let count_old = old >> level;
        if count_new == 0 {
            break;
        }
        let hashes = tree.level(level);
        if count_new > count_old {
            let first_tile = count_old / TILE_WIDTH;
            let last_tile = (count_new - 1) / TILE_WIDTH;
            for t in first_tile..=last_tile {
                let from = (t * TILE_WIDTH) as usize;
                let to = ((t + 1) * TILE_WIDTH).min(count_new) as usize;
                if let Some(slice) = hashes.get(from..to) {
                    out.push((tl, t, slice.to_vec()));
                }
            }
        }
        tl += 1;
    }
    out
}

/// MTH of a complete block of `2^k` hashes of one level.
fn block_root(suite: Suite, hashes: &[Hash]) -> Hash {
    let mut row: Vec<Hash> = hashes.to_vec();
    while row.len() > 1 {
        row = row.chunks(2).map(|p| if p.len() == 2 { suite.node(&p[0], &p[1]) } else { p[0] }).collect();
    }
    row.first().copied().unwrap_or_default()
}

/// The tiles to write after appending `new_leaves` to a tree of `old_size` leaves, each as
/// (tile level, tile index, its full list of hashes). `edge(L, N)` reads a stored tile; it
/// is asked only for the partial right-edge tile of each level.
pub fn extend_tiles<E>(
    suite: Suite,
    old_size: u64,
    new_leaves: &[Hash],
    mut edge: impl FnMut(u32, u64) -> Result<Vec<Hash>, E>,
) -> Result<Vec<(u32, u64, Vec<Hash>)>, E> {
    let mut out = Vec::new();
    let mut fresh: Vec<Hash> = new_leaves.to_vec();
    let mut start = old_size; // position of fresh[0] at this tile level's tree level
    let mut tl = 0u32;
    while !fresh.is_empty() {
        let first_tile = start / TILE_WIDTH;
        let offset = (start % TILE_WIDTH) as usize;
        let mut row: Vec<Hash> =
            if offset > 0 { edge(tl, first_tile)?.into_iter().take(offset).collect() } else { Vec::new() };
        row.extend_from_slice(&fresh);
        let mut next = Vec::new();
        for (i, chunk) in row.chunks(TILE_WIDTH as usize).enumerate() {
            out.push((tl, first_tile + i as u64, chunk.to_vec()));
            if chunk.len() as u64 == TILE_WIDTH {
                next.push(block_root(suite, chunk));
            }
        }
        fresh = next;
        start = first_tile;
        tl += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    const S: Suite = Suite::Sha256Ed25519;

    fn leaf_hash(b: &[u8]) -> Hash {
        S.leaf(b)
    }

    fn node_hash(l: &Hash, r: &Hash) -> Hash {
        S.node(l, r)
    }

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(format!("entry {i}").as_bytes())).collect()
    }

    fn tree(n: u64) -> MemoryTree {
        let mut t = MemoryTree::new(S);
        for l in leaves(n) {
            t.push(l);
        }
        t
    }

    #[test]
    fn roots_match_the_definition_at_every_size() {
        let all = leaves(300);
        let mut t = MemoryTree::new(S);
        for n in 1..=300u64 {
            t.push(all[n as usize - 1]);
            assert_eq!(root(&mut t, n), Ok(S.root(&all[..n as usize])), "size {n}");
        }
    }

    #[test]
    fn rfc6962_reference_vectors() {
        // The eight leaves of the certificate-transparency reference test data.
        let inputs: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let mut t = MemoryTree::new(S);
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        for (i, input) in inputs.iter().enumerate() {
            t.push(leaf_hash(input));
            assert_eq!(root(&mut t, i as u64 + 1).map(|h| hex(&h)).as_deref(), Ok(roots[i]), "size {}", i + 1);
        }
        // Inclusion of leaf 0 in the tree of 8, and consistency 1 → 8, from the same data.
        let proof = inclusion_proof(&mut t, 0, 8).unwrap_or_default();
        let want = [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ];
        assert_eq!(proof.iter().map(|h| hex(h)).collect::<Vec<_>>(), want);
    }

    #[test]
    fn proofs_verify_and_tampered_ones_fail() {
        let n = 67u64;
        let mut t = tree(n);
        let all = leaves(n);
        for size in 1..=n {
            let r = root(&mut t, size).unwrap_or_default();
            for index in 0..size {
                let p = inclusion_proof(&mut t, index, size).unwrap_or_default();
                assert!(verify_inclusion(S, &all[index as usize], index, size, &p, &r), "incl {index}/{size}");
                if let Some(first) = p.first() {
                    let mut bad = p.clone();
                    bad[0] = node_hash(first, first);
                    assert!(!verify_inclusion(S, &all[index as usize], index, size, &bad, &r));
                }
                assert!(!verify_inclusion(S, &all[index as usize], index + 1, size, &p, &r) || size == 1);
            }
            for old in 1..=size {
                let old_root = root(&mut t, old).unwrap_or_default();
                let p = consistency_proof(&mut t, old, size).unwrap_or_default();
                assert!(verify_consistency(S, old, size, &old_root, &r, &p), "cons {old}->{size}");
                if old < size {
                    assert!(
                        !verify_consistency(S, old, size, &r, &r, &p) || old_root == r,
                        "wrong old root {old}->{size}"
                    );
                }
            }
        }
    }

    #[test]
    fn tiles_extended_in_steps_equal_tiles_built_at_once() {
        let all = leaves(66_000);
        let mut stored: std::collections::HashMap<(u32, u64), Vec<Hash>> = Default::default();
        let mut size = 0u64;
        for step in [1usize, 2, 253, 256, 1000, 300, 64_188] {
            let new = &all[size as usize..size as usize + step];
            let tiles = extend_tiles(S, size, new, |l, i| {
                stored.get(&(l, i)).cloned().ok_or(MissingNode { level: l * 8, index: i })
            });
            for (l, i, h) in tiles.unwrap_or_default() {
                stored.insert((l, i), h);
            }
            size += step as u64;
        }
        assert_eq!(size, 66_000);
        let full = tree(66_000);
        let want: std::collections::HashMap<(u32, u64), Vec<Hash>> =
            tiles_touched(&full, 0, 66_000).into_iter().map(|(l, i, h)| ((l, i), h)).collect();
        assert_eq!(stored, want);
    }

    #[test]
    fn tiles_give_the_same_nodes_as_the_full_tree() {
        let n = 70_000u64;
        let full = tree(n);
        let tiles = tiles_touched(&full, 0, n);
        let map: std::collections::HashMap<(u32, u64), Vec<Hash>> =
            tiles.into_iter().map(|(l, i, h)| ((l, i), h)).collect();
        assert_eq!(map.get(&(0, 0)).map(Vec::len), Some(256));
        assert_eq!(map.get(&(2, 0)).map(Vec::len), Some(1), "70,000 >> 16 = 1 complete level-16 node");
        let mut src = TileSource {
            tile: |l: u32, i: u64| map.get(&(l, i)).cloned().ok_or(MissingNode { level: l * 8, index: i }),
            suite: S,
        };
        let mut reference = full.clone();
        for size in [1u64, 255, 256, 257, 65_535, 65_536, 69_999, 70_000] {
            assert_eq!(root(&mut src, size), root(&mut reference, size), "root {size}");
            for index in [0, size / 3, size - 1] {
                assert_eq!(
                    inclusion_proof(&mut src, index, size),
                    inclusion_proof(&mut reference, index, size),
                    "incl {index}/{size}"
                );
            }
            assert_eq!(
                consistency_proof(&mut src, size / 2 + 1, size),
                consistency_proof(&mut reference, size / 2 + 1, size)
            );
        }
        // Appending in steps touches only the right edge and rewrites it whole.
        let step = tiles_touched(&full, 69_900, 70_000);
        assert!(
            step.iter().all(|(l, i, _)| (*l == 0 && *i == 273) || (*l == 1 && *i == 1) || *l == 2),
            "{:?}",
            step.iter().map(|(l, i, h)| (*l, *i, h.len())).collect::<Vec<_>>()
        );
    }
}
