//! Orthogonal arrows for the swimlane (`super::swimlane`), whose steps run down the page: an
//! arrow leaves its step straight down from the bottom edge and enters the next straight down
//! through the top edge, and in between only runs down, left or right — never back up — so a
//! reader follows it downwards like the process.
//!
//! Each arrow is a shortest path, counting each turn as a detour, on a grid of lines: across, a
//! few tracks in every gap between two rows of boxes; down, the ports of every box (its middle
//! and either side of it) and the channels between lanes. Arrows of different pairs avoid
//! sharing a stretch and crossing each other, so each can be followed; arrows that leave one
//! step or enter one step may share, and then read as a fork or a join.
//!
//! The layout promises that the gaps between rows and the channels between lanes hold no box.
//! So an arrow can always go down a channel to the gap above its target, and that is also the
//! way drawn for arrows left over when a map built to be slow has spent the search budget.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

/// Arrows leave and enter boxes through a stub this long, then turn.
pub const CLEAR_Y: i32 = 10;
/// Vertical runs keep this far from the side of a box.
pub const CLEAR_X: i32 = 4;
/// Ports on a box's top and bottom edges stay this far from its corners.
const PORT_INSET: i32 = 22;
/// A turn costs as much as this many px of length.
const TURN: i64 = 60;
/// Sharing a stretch with an arrow of another pair costs this much per px.
const SHARED: i64 = 4;
/// Crossing an arrow of another pair costs as much as this many px of length.
const CROSSING: i64 = 240;
/// Search steps for all the arrows of one map. The seeded maps need a few thousand.
const BUDGET: usize = 1_500_000;

#[derive(Debug, Clone, Copy)]
pub struct Rect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Rect {
    fn center(&self) -> i32 {
        (self.x0 + self.x1) / 2
    }
}

/// Whether the segment a–b (horizontal or vertical) enters the inside of `r`; running along
/// its edge does not count.
pub fn crosses(a: (i32, i32), b: (i32, i32), r: &Rect) -> bool {
    let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
    let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
    let overlaps = |lo: i32, hi: i32, from: i32, to: i32| {
        if lo == hi {
            lo > from && lo < to
        } else {
            hi > from && lo < to
        }
    };
    overlaps(x0, x1, r.x0, r.x1) && overlaps(y0, y1, r.y0, r.y1)
}

/// Which way an arrow runs; never up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Down,
    Right,
    Left,
}

impl Dir {
    const ALL: [Dir; 3] = [Dir::Down, Dir::Right, Dir::Left];
    fn index(self) -> usize {
        self as usize
    }
    fn opposite(self, other: Dir) -> bool {
        matches!(
            (self, other),
            (Dir::Right, Dir::Left) | (Dir::Left, Dir::Right)
        )
    }
    fn vertical(self) -> bool {
        self == Dir::Down
    }
}

pub struct Router<'a> {
    boxes: &'a [Rect],
    /// The x of every vertical grid line, ascending.
    xs: Vec<i32>,
    /// The y of every horizontal grid line, ascending.
    ys: Vec<i32>,
    /// The channels between lanes, for the fallback.
    channels: Vec<i32>,
    /// `open[node]`, one bit per direction: the step to the next grid line that way stays
    /// clear of every box.
    open: Vec<u8>,
}

impl<'a> Router<'a> {
    /// `channels`: the x of lines between lanes that no box comes near; `gaps`: the y of lines
    /// between rows that no box comes near (more tracks besides those [`CLEAR_Y`] from boxes).
    pub fn new(boxes: &'a [Rect], channels: &[i32], gaps: &[i32]) -> Router<'a> {
        let mut xs: BTreeSet<i32> = channels.iter().copied().collect();
        let mut ys: BTreeSet<i32> = gaps.iter().copied().collect();
        for b in boxes {
            xs.extend([b.x0 + PORT_INSET, b.center(), b.x1 - PORT_INSET]);
            ys.extend([b.y0 - CLEAR_Y, b.y1 + CLEAR_Y]);
        }
        let xs: Vec<i32> = xs.into_iter().collect();
        let ys: Vec<i32> = ys.into_iter().collect();
        let grown: Vec<Rect> = boxes
            .iter()
            .map(|b| Rect {
                x0: b.x0 - CLEAR_X,
                y0: b.y0 - CLEAR_Y,
                x1: b.x1 + CLEAR_X,
                y1: b.y1 + CLEAR_Y,
            })
            .collect();
        let (w, h) = (xs.len(), ys.len());
        let mut open = vec![0u8; w * h];
        // Along each grid line only the boxes that straddle it can block a step.
        for (j, &y) in ys.iter().enumerate() {
            let across: Vec<&Rect> = grown.iter().filter(|r| r.y0 < y && y < r.y1).collect();
            for i in 0..w.saturating_sub(1) {
                let (a, b) = ((xs[i], y), (xs[i + 1], y));
                if !across.iter().any(|r| crosses(a, b, r)) {
                    open[j * w + i] |= 1 << Dir::Right.index();
                    open[j * w + i + 1] |= 1 << Dir::Left.index();
                }
            }
        }
        for (i, &x) in xs.iter().enumerate() {
            let across: Vec<&Rect> = grown.iter().filter(|r| r.x0 < x && x < r.x1).collect();
            for j in 0..h.saturating_sub(1) {
                let (a, b) = ((x, ys[j]), (x, ys[j + 1]));
                if !across.iter().any(|r| crosses(a, b, r)) {
                    open[j * w + i] |= 1 << Dir::Down.index();
                }
            }
        }
        Router {
            boxes,
            xs,
            ys,
            channels: channels.to_vec(),
            open,
        }
    }

    fn point(&self, node: usize) -> (i32, i32) {
        (self.xs[node % self.xs.len()], self.ys[node / self.xs.len()])
    }

    fn node(&self, p: (i32, i32)) -> Option<usize> {
        let i = self.xs.binary_search(&p.0).ok()?;
        let j = self.ys.binary_search(&p.1).ok()?;
        Some(j * self.xs.len() + i)
    }

    /// The neighbouring node in `dir`, when the step there is clear.
    fn step(&self, node: usize, dir: Dir) -> Option<usize> {
        if self.open[node] & (1 << dir.index()) == 0 {
            return None;
        }
        Some(match dir {
            Dir::Right => node + 1,
            Dir::Left => node - 1,
            Dir::Down => node + self.xs.len(),
        })
    }

    /// The grid stretch from `node` one step `dir`, the same whichever way it is run.
    fn stretch(&self, node: usize, dir: Dir) -> usize {
        match dir {
            Dir::Right => node * 2,
            Dir::Left => (node - 1) * 2,
            Dir::Down => node * 2 + 1,
        }
    }

    /// Where an arrow may leave or enter box `i` on its bottom or top edge: the grid lines
    /// across that edge, away from the corners.
    fn ports(&self, i: usize) -> impl Iterator<Item = i32> + '_ {
        let b = &self.boxes[i];
        let (from, to) = (b.x0 + PORT_INSET, b.x1 - PORT_INSET);
        let start = self.xs.partition_point(|&x| x < from);
        self.xs[start..]
            .iter()
            .copied()
            .take_while(move |&x| x <= to)
    }

    /// Every edge `(from, to)`, where `to` lies in a lower row than `from`, routed in order;
    /// each path starts on its source's bottom edge and ends on its target's top edge.
    pub fn route_all(&self, edges: &[(usize, usize)]) -> Vec<Vec<(i32, i32)>> {
        let nodes = self.xs.len() * self.ys.len();
        let mut search = Search {
            best: vec![i64::MAX; nodes * 3],
            back: vec![usize::MAX; nodes * 3],
            touched: Vec::new(),
            budget: BUDGET,
        };
        let mut traffic = Traffic {
            stretches: vec![Vec::new(); nodes * 2],
            through: vec![Vec::new(); nodes],
        };
        let mut paths = Vec::new();
        for &(from, to) in edges {
            let routed = self.route(from, to, &traffic, &mut search);
            search.reset();
            let points = match routed {
                Some(Routed { start, nodes, end }) => {
                    traffic.add(self, &nodes, (from, to));
                    let mut points = vec![(start, self.boxes[from].y1)];
                    points.extend(nodes.iter().map(|&n| self.point(n)));
                    points.push((end, self.boxes[to].y0));
                    points
                }
                None => self.fallback(from, to),
            };
            paths.push(simplify(points));
        }
        paths
    }

    /// Dijkstra over (grid point, heading): length, plus [`TURN`] for each turn,
    /// [`CROSSING`] for each arrow of another pair crossed, and [`SHARED`] times the length
    /// run along one.
    fn route(
        &self,
        from: usize,
        to: usize,
        traffic: &Traffic,
        search: &mut Search,
    ) -> Option<Routed> {
        let state = |node: usize, dir: Dir| node * 3 + dir.index();
        let mut heap = BinaryHeap::new();
        let below = self.boxes[from].y1 + CLEAR_Y;
        let mut starts = Vec::new();
        // Ports off the middle of a box cost a little, so that of two paths otherwise alike
        // the one through the middles wins.
        let off = |i: usize, x: i32| i64::from((x - self.boxes[i].center()).abs() / 4);
        for x in self.ports(from) {
            if let Some(node) = self.node((x, below)) {
                let st = state(node, Dir::Down);
                let cost = off(from, x);
                if search.improve(st, cost, usize::MAX) {
                    starts.push((st, x));
                    heap.push(Reverse((cost, st)));
                }
            }
        }
        let above = self.boxes[to].y0 - CLEAR_Y;
        let goals: Vec<(usize, i32)> = self
            .ports(to)
            .filter_map(|x| self.node((x, above)).map(|node| (node, x)))
            .collect();
        let other = |&(f, t): &(usize, usize)| f != from && t != to;
        let mut found: Option<(i64, usize, i32)> = None;
        while let Some(Reverse((cost, st))) = heap.pop() {
            if search.best[st] < cost {
                continue;
            }
            if found.is_some_and(|(c, _, _)| c <= cost) {
                break;
            }
            search.budget = search.budget.checked_sub(1)?;
            let (node, heading) = (st / 3, Dir::ALL[st % 3]);
            for &(_, x) in goals.iter().filter(|(n, _)| *n == node) {
                // The last stretch runs down into the box.
                let total = cost + off(to, x) + if heading == Dir::Down { 0 } else { TURN };
                if found.is_none_or(|(c, _, _)| total < c) {
                    found = Some((total, st, x));
                }
            }
            for dir in Dir::ALL {
                if dir.opposite(heading) {
                    continue;
                }
                let Some(next) = self.step(node, dir) else {
                    continue;
                };
                let (a, b) = (self.point(node), self.point(next));
                let length = i64::from((a.0 - b.0).abs() + (a.1 - b.1).abs());
                let shared = traffic.stretches[self.stretch(node, dir)].iter().any(other);
                let crossing = traffic.through[next]
                    .iter()
                    .any(|&(v, f, t)| v != dir.vertical() && other(&(f, t)));
                let c2 = cost
                    + length * if shared { SHARED } else { 1 }
                    + if dir == heading { 0 } else { TURN }
                    + if crossing { CROSSING } else { 0 };
                let st2 = state(next, dir);
                if search.improve(st2, c2, st) {
                    heap.push(Reverse((c2, st2)));
                }
            }
        }
        let (_, mut st, end) = found?;
        let mut nodes = vec![st / 3];
        while search.back[st] != usize::MAX {
            st = search.back[st];
            nodes.push(st / 3);
        }
        nodes.reverse();
        let start = starts.iter().find(|(s, _)| *s == st)?.1;
        Some(Routed { start, nodes, end })
    }

    /// Down from the source's middle, along the gap below it to the nearest channel, down the
    /// channel to the gap above the target, along it and down into the target's middle. Clear
    /// of every box, as the layout promises, but not of other arrows: only for arrows left over
    /// when a map has spent the search budget.
    fn fallback(&self, from: usize, to: usize) -> Vec<(i32, i32)> {
        let (s, t) = (&self.boxes[from], &self.boxes[to]);
        let (sx, tx) = (s.center(), t.center());
        let (below, above) = (s.y1 + CLEAR_Y, t.y0 - CLEAR_Y);
        let channel = self
            .channels
            .iter()
            .copied()
            .min_by_key(|&c| (c - sx).abs() + (c - tx).abs())
            .unwrap_or(sx);
        vec![
            (sx, s.y1),
            (sx, below),
            (channel, below),
            (channel, above),
            (tx, above),
            (tx, t.y0),
        ]
    }
}

/// The search's working memory, kept between arrows; only what an arrow touched is reset.
struct Search {
    best: Vec<i64>,
    back: Vec<usize>,
    touched: Vec<usize>,
    budget: usize,
}

impl Search {
    fn improve(&mut self, state: usize, cost: i64, from: usize) -> bool {
        if cost >= self.best[state] {
            return false;
        }
        if self.best[state] == i64::MAX {
            self.touched.push(state);
        }
        self.best[state] = cost;
        self.back[state] = from;
        true
    }

    fn reset(&mut self) {
        for st in self.touched.drain(..) {
            self.best[st] = i64::MAX;
            self.back[st] = usize::MAX;
        }
    }
}

/// A path found: from x `start` on the source's bottom edge through grid `nodes` to x `end` on
/// the target's top edge.
struct Routed {
    start: i32,
    nodes: Vec<usize>,
    end: i32,
}

/// What the arrows routed so far occupy.
struct Traffic {
    /// By grid stretch: the (source, target) pairs that run along it.
    stretches: Vec<Vec<(usize, usize)>>,
    /// By grid node: (vertical?, source, target) for each way an arrow passes it.
    through: Vec<Vec<(bool, usize, usize)>>,
}

impl Traffic {
    fn add(&mut self, router: &Router, nodes: &[usize], pair: (usize, usize)) {
        for w in nodes.windows(2) {
            let dir = Dir::ALL
                .into_iter()
                .find(|&d| router.step(w[0], d) == Some(w[1]))
                .expect("consecutive nodes of a path are neighbours");
            self.stretches[router.stretch(w[0], dir)].push(pair);
            for &n in w {
                self.through[n].push((dir.vertical(), pair.0, pair.1));
            }
        }
    }
}

/// Drop repeated points and points in the middle of a straight run.
fn simplify(points: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(points.len());
    for p in points {
        if out.last() == Some(&p) {
            continue;
        }
        if let [.., a, b] = out[..]
            && ((a.0 == b.0 && b.0 == p.0) || (a.1 == b.1 && b.1 == p.1))
        {
            out.pop();
        }
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: i32, y0: i32, x1: i32, y1: i32) -> Rect {
        Rect { x0, y0, x1, y1 }
    }

    #[test]
    fn a_box_straight_below_is_reached_by_a_straight_arrow() {
        let boxes = [rect(10, 0, 110, 60), rect(10, 100, 110, 160)];
        let router = Router::new(&boxes, &[0, 120], &[80]);
        let paths = router.route_all(&[(0, 1)]);
        assert_eq!(paths[0], vec![(60, 60), (60, 100)]);
    }

    #[test]
    fn an_arrow_past_a_box_in_its_way_goes_around_it_and_never_up() {
        // 0 above 1 above 2, all in one lane; 0 → 2 must pass 1 by a channel.
        let boxes = [
            rect(10, 0, 110, 60),
            rect(10, 100, 110, 160),
            rect(10, 200, 110, 260),
        ];
        let router = Router::new(&boxes, &[0, 120], &[80, 180]);
        let paths = router.route_all(&[(0, 1), (1, 2), (0, 2)]);
        let around = &paths[2];
        assert_eq!(around.first().map(|p| p.1), Some(60));
        assert_eq!(around.last().map(|p| p.1), Some(200));
        for seg in around.windows(2) {
            assert!(seg[1].1 >= seg[0].1, "{around:?} runs up");
            for b in &boxes {
                assert!(!crosses(seg[0], seg[1], b), "{around:?} crosses {b:?}");
            }
        }
    }

    #[test]
    fn the_fallback_keeps_to_the_gaps_and_channels() {
        let boxes = [
            rect(10, 0, 110, 60),
            rect(10, 100, 110, 160),
            rect(130, 200, 230, 260),
        ];
        let router = Router::new(&boxes, &[0, 120, 240], &[80, 180]);
        let path = simplify(router.fallback(0, 2));
        for seg in path.windows(2) {
            assert!(seg[0].0 == seg[1].0 || seg[0].1 == seg[1].1);
            for b in &boxes {
                assert!(!crosses(seg[0], seg[1], b), "{path:?} crosses {b:?}");
            }
        }
        assert_eq!(path.first(), Some(&(60, 60)));
        assert_eq!(path.last(), Some(&(180, 200)));
    }
}
