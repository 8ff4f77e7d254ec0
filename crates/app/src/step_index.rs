//! The inbox's step index (`case_open_steps`, migration 0026) made again from the events: the
//! rows every case command writes, with when each step opened, rebuilt when the record is
//! replayed into another database and compared by `audit verify --state`. A step's `since` is
//! when the command that opened it was recorded: the case's events are folded one command at
//! a time (a command's events share their recording time), keeping a step's time while the
//! same attempt stays open, exactly as the commands write it.

use crate::inbox::case_open_steps;
use crate::{App, AppError, Caller};
use cellpath_domain::events::cases::CaseEvent;
use cellpath_domain::journey::{Case, CaseMap, evolve};
use cellpath_store::{CaseEventRow, DifferenceKind, OpenStep, StateDifference};
use std::collections::BTreeMap;

/// The steps open on a case after its events, each with when it opened.
pub(crate) fn open_steps_with_since(
    map: &CaseMap,
    events: &[(CaseEventRow, CaseEvent)],
) -> Vec<(OpenStep, i64)> {
    let mut case = Case::default();
    let mut open: Vec<(OpenStep, i64)> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let at = events[i].0.recorded_at;
        let mut command = Vec::new();
        while i < events.len() && events[i].0.recorded_at == at {
            command.push(events[i].1.clone());
            i += 1;
        }
        let steps = case_open_steps(map, &case, &command);
        case = command.iter().fold(case, evolve);
        open = steps
            .into_iter()
            .map(|s| {
                let since = open
                    .iter()
                    .find(|(o, _)| o.step == s.step && o.role == s.role && o.attempt == s.attempt)
                    .map_or(at, |(_, since)| *since);
                (s, since)
            })
            .collect();
    }
    open
}

/// A row of the index as compared: its key (case / step / role) and its columns.
type IndexRow = (String, Vec<(String, String)>);

fn row_of(case_id: &str, s: &OpenStep, since: i64) -> IndexRow {
    (
        format!("{case_id} / {} / {}", s.step, s.role.as_str()),
        vec![
            ("name".into(), s.name.clone()),
            (
                "stage".into(),
                s.stage
                    .map_or_else(String::new, |st| st.as_str().to_string()),
            ),
            ("attempt".into(), s.attempt.to_string()),
            ("waiting".into(), s.waiting.join("; ")),
            ("since".into(), since.to_string()),
        ],
    )
}

impl App {
    /// A case's open steps as its events make them.
    async fn open_steps_from_events(
        &self,
        case_id: &str,
    ) -> Result<Vec<(OpenStep, i64)>, AppError> {
        let operator = Caller::system("the step index");
        let (loaded, _) = self.load_case(&operator, case_id).await?;
        Ok(open_steps_with_since(&loaded.map, &loaded.events))
    }

    /// Write every case's open steps again from its events (after a replay, or as the
    /// operator's repair: `cellpath inbox --reindex`); how many cases.
    pub async fn reindex_open_steps(&self) -> Result<usize, AppError> {
        let ids = self.store.case_ids().await?;
        for id in &ids {
            let steps = self.open_steps_from_events(id).await?;
            self.store.replace_open_steps_since(id, &steps).await?;
        }
        Ok(ids.len())
    }

    /// Replay the record into `target` (a freshly migrated, empty database) and write its
    /// step index from the replayed events: the record and the inbox move together.
    pub async fn replay_app_into(&self, target: &App) -> Result<u64, AppError> {
        let n = self.store.replay_with_documents_into(&target.store).await?;
        target.reindex_open_steps().await?;
        Ok(n)
    }

    /// Each row of the step index that differs from what the cases' events make.
    pub(crate) async fn step_index_differences(&self) -> Result<Vec<StateDifference>, AppError> {
        let mut live: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let mut made: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let ids = self.store.case_ids().await?;
        for id in &ids {
            // A case row edited so that its events no longer load (its map gone) is named by
            // the record tables' comparison; its steps cannot be made again here.
            let Ok(from_events) = self.open_steps_from_events(id).await else {
                continue;
            };
            for (s, since) in from_events {
                let (k, v) = row_of(id, &s, since);
                made.insert(k, v);
            }
            for r in self.store.open_steps_of_case(id).await? {
                let s = OpenStep {
                    step: r.step,
                    role: r.role,
                    name: r.name,
                    stage: r.stage,
                    attempt: r.attempt,
                    waiting: r.waiting,
                };
                let (k, v) = row_of(id, &s, r.since);
                live.insert(k, v);
            }
        }
        Ok(differences(&live, &made))
    }
}

/// Rows only in the index, rows only made by the events, and columns that differ.
fn differences(
    live: &BTreeMap<String, Vec<(String, String)>>,
    made: &BTreeMap<String, Vec<(String, String)>>,
) -> Vec<StateDifference> {
    let table = "case_open_steps";
    let mut out = Vec::new();
    for (key, row) in live {
        match made.get(key) {
            None => out.push(StateDifference {
                table,
                key: key.clone(),
                kind: DifferenceKind::NotMadeByAnyEvent { row: row.clone() },
            }),
            Some(other) => {
                for ((column, l), (_, r)) in row.iter().zip(other) {
                    if l != r {
                        out.push(StateDifference {
                            table,
                            key: key.clone(),
                            kind: DifferenceKind::Changed {
                                column: column.clone(),
                                live: l.clone(),
                                from_events: r.clone(),
                            },
                        });
                    }
                }
            }
        }
    }
    for (key, row) in made.iter().filter(|(k, _)| !live.contains_key(*k)) {
        out.push(StateDifference {
            table,
            key: key.clone(),
            kind: DifferenceKind::Missing { row: row.clone() },
        });
    }
    out
}
