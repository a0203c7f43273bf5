//! The roster tables (`orgs`, `classes`, `people`, `enrollments`) and `assignments` as batches, read from
//! the snapshot's roster.

use engine::Snapshot;

use super::array::Batch;
use crate::catalog::TableId;
use crate::value::Value;

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn opt_text(s: &Option<String>) -> Value {
    s.as_deref().map_or(Value::Null, text)
}

/// The rows of a non-`events` table.
pub fn table_batch(table: TableId, snapshot: &Snapshot) -> Batch {
    let roster = snapshot.roster();
    let rows: Vec<Vec<Value>> = match table {
        TableId::Events => Vec::new(),
        TableId::Orgs => {
            roster.orgs.iter().map(|o| vec![text(&o.id), text(&o.name), text(&o.kind), opt_text(&o.parent)]).collect()
        }
        TableId::Classes => {
            roster.classes.iter().map(|c| vec![text(&c.id), text(&c.name), opt_text(&c.school)]).collect()
        }
        TableId::People => roster.people.iter().map(|p| vec![text(&p.id), text(p.role.as_str())]).collect(),
        TableId::Enrollments => roster
            .enrollments
            .iter()
            .map(|e| vec![text(&e.class), text(&e.person), text(e.role.as_str())])
            .collect(),
        TableId::Assignments => snapshot
            .assignments()
            .iter()
            .map(|a| {
                vec![
                    text(&a.id),
                    opt_text(&a.class),
                    a.due.map_or(Value::Null, Value::Timestamp),
                    a.assigned_at.map_or(Value::Null, Value::Timestamp),
                ]
            })
            .collect(),
    };
    let types: Vec<_> = table.columns().iter().map(|c| c.ty).collect();
    Batch::from_rows(&types, &rows)
}
