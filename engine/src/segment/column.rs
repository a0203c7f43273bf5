//! Decoded columns as the query executor consumes them: whole-segment value vectors plus NULL sets.

use roaring::RoaringBitmap;

/// A decoded Timestamp or Int column. NULL rows hold 0 and are listed in `nulls`.
#[derive(Debug, Clone, PartialEq)]
pub struct IntColumn {
    /// One value per row, in stored row order.
    pub values: Vec<i64>,
    /// NULL rows, or `None` when the column has no NULLs in this segment.
    pub nulls: Option<RoaringBitmap>,
}

/// A decoded Double column. NULL rows hold 0.0 and are listed in `nulls`.
#[derive(Debug, Clone, PartialEq)]
pub struct DoubleColumn {
    /// One value per row, in stored row order.
    pub values: Vec<f64>,
    /// NULL rows, or `None` when the column has no NULLs in this segment.
    pub nulls: Option<RoaringBitmap>,
}

/// A decoded Text column: per-row dictionary ids into a dictionary sorted ascending (so comparing ids
/// compares strings). NULL rows have id 0 and are listed in `nulls`.
#[derive(Debug, Clone, PartialEq)]
pub struct TextColumn {
    /// One dictionary id per row, in stored row order.
    pub ids: Vec<u32>,
    /// The segment's distinct non-NULL values of this column, strictly ascending.
    pub dict: Vec<String>,
    /// NULL rows, or `None` when the column has no NULLs in this segment.
    pub nulls: Option<RoaringBitmap>,
}

impl TextColumn {
    /// The dictionary id of `value`, if it occurs in this segment (binary search).
    pub fn lookup(&self, value: &str) -> Option<u32> {
        self.dict
            .binary_search_by(|s| s.as_str().cmp(value))
            .ok()
            .map(|i| i as u32)
    }

    /// The value at `row`; `None` for a NULL row or a row past the end.
    pub fn value(&self, row: usize) -> Option<&str> {
        if self.nulls.as_ref().is_some_and(|n| n.contains(row as u32)) {
            return None;
        }
        self.ids
            .get(row)
            .and_then(|&id| self.dict.get(id as usize))
            .map(String::as_str)
    }
}

impl IntColumn {
    /// The value at `row`; `None` for a NULL row or a row past the end.
    pub fn value(&self, row: usize) -> Option<i64> {
        nullable_get(&self.values, self.nulls.as_ref(), row)
    }
}

impl DoubleColumn {
    /// The value at `row`; `None` for a NULL row or a row past the end.
    pub fn value(&self, row: usize) -> Option<f64> {
        nullable_get(&self.values, self.nulls.as_ref(), row)
    }
}

fn nullable_get<T: Copy>(values: &[T], nulls: Option<&RoaringBitmap>, row: usize) -> Option<T> {
    if nulls.is_some_and(|n| n.contains(row as u32)) {
        return None;
    }
    values.get(row).copied()
}
