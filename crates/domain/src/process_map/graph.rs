//! The few graph algorithms the validator needs, over step indices. Maps are small (at most
//! `MAX_STEPS` steps), so a full reachability matrix is cheap and keeps every rule a lookup.

use std::collections::{BTreeSet, VecDeque};

/// Directed edges `from → to`, where `to` comes after `from`.
#[derive(Debug, Clone)]
pub(super) struct Graph {
    succs: Vec<Vec<usize>>,
}

impl Graph {
    pub fn new(nodes: usize) -> Graph {
        Graph {
            succs: vec![Vec::new(); nodes],
        }
    }

    pub fn add_edge(&mut self, from: usize, to: usize) {
        if !self.succs[from].contains(&to) {
            self.succs[from].push(to);
        }
    }

    pub fn has_successor(&self, node: usize) -> bool {
        !self.succs[node].is_empty()
    }

    /// `reach[a][b]`: b can be reached from a by one or more edges (so `reach[a][a]` means a
    /// lies on a cycle).
    pub fn reachability(&self) -> Vec<Vec<bool>> {
        (0..self.succs.len()).map(|n| self.reach_from(n)).collect()
    }

    fn reach_from(&self, start: usize) -> Vec<bool> {
        let mut seen = vec![false; self.succs.len()];
        let mut queue: VecDeque<usize> = self.succs[start].iter().copied().collect();
        while let Some(n) = queue.pop_front() {
            if !seen[n] {
                seen[n] = true;
                queue.extend(self.succs[n].iter().copied());
            }
        }
        seen
    }

    /// One cycle per strongly connected component, each starting and ending at the component's
    /// lowest index (the first step a person wrote), shortest first-found path.
    pub fn cycles(&self, reach: &[Vec<bool>]) -> Vec<Vec<usize>> {
        let n = self.succs.len();
        let mut covered = vec![false; n];
        let mut cycles = Vec::new();
        for v in 0..n {
            if covered[v] || !reach[v][v] {
                continue;
            }
            for u in 0..n {
                if u == v || (reach[v][u] && reach[u][v]) {
                    covered[u] = true;
                }
            }
            cycles.push(self.shortest_cycle_through(v));
        }
        cycles
    }

    fn shortest_cycle_through(&self, v: usize) -> Vec<usize> {
        // Breadth-first from v's successors back to v; `parent` rebuilds the path.
        let n = self.succs.len();
        let mut parent: Vec<Option<usize>> = vec![None; n];
        let mut seen = vec![false; n];
        let mut queue = VecDeque::new();
        for &s in &self.succs[v] {
            if !seen[s] {
                seen[s] = true;
                parent[s] = Some(v);
                queue.push_back(s);
            }
        }
        while let Some(n) = queue.pop_front() {
            if n == v {
                break;
            }
            for &s in &self.succs[n] {
                if !seen[s] {
                    seen[s] = true;
                    parent[s] = Some(n);
                    queue.push_back(s);
                }
            }
        }
        let mut path = vec![v];
        let mut at = parent[v].expect("v lies on a cycle, so the search came back to it");
        while at != v {
            path.push(at);
            at = parent[at].expect("every node on the search tree has a parent");
        }
        path.push(v);
        path.reverse();
        path
    }

    /// A topological order of the nodes in `include`, ties broken by the lower index (the order
    /// a person wrote the steps), or `None` when they contain a cycle.
    pub fn topological_order(&self, include: &[bool]) -> Option<Vec<usize>> {
        let n = self.succs.len();
        let mut indegree = vec![0usize; n];
        for from in (0..n).filter(|&f| include[f]) {
            for &to in &self.succs[from] {
                indegree[to] += 1;
            }
        }
        let mut ready: BTreeSet<usize> =
            (0..n).filter(|&i| include[i] && indegree[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(next) = ready.pop_first() {
            order.push(next);
            for &to in &self.succs[next] {
                indegree[to] -= 1;
                if indegree[to] == 0 {
                    ready.insert(to);
                }
            }
        }
        (order.len() == include.iter().filter(|&&i| i).count()).then_some(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(n: usize, edges: &[(usize, usize)]) -> Graph {
        let mut g = Graph::new(n);
        for &(a, b) in edges {
            g.add_edge(a, b);
        }
        g
    }

    #[test]
    fn a_cycle_is_named_once_from_its_first_step() {
        // 0 → 1 → 2 → 1, 2 → 3: one cycle, 1 → 2 → 1
        let g = graph(4, &[(0, 1), (1, 2), (2, 1), (2, 3)]);
        let reach = g.reachability();
        assert_eq!(g.cycles(&reach), vec![vec![1, 2, 1]]);
        assert_eq!(g.topological_order(&[true; 4]), None);
    }

    #[test]
    fn a_self_loop_is_a_cycle_of_one() {
        let g = graph(2, &[(0, 1), (1, 1)]);
        assert_eq!(g.cycles(&g.reachability()), vec![vec![1, 1]]);
    }

    #[test]
    fn topological_ties_keep_the_written_order() {
        // 3 and 1 are both ready after 0; 1 was written first
        let g = graph(4, &[(0, 3), (0, 1), (1, 2), (3, 2)]);
        assert_eq!(g.topological_order(&[true; 4]), Some(vec![0, 1, 3, 2]));
    }
}
