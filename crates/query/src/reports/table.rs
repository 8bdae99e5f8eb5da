//! A small column builder for report rows.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, RecordBatch, StringBuilder, TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

use crate::error::{QueryError, Result};

/// One cell of a report row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Str(Option<String>),
    Count(u64),
    /// UTC microseconds.
    Time(Option<i64>),
}

enum Col {
    Str(StringBuilder),
    Count(UInt64Builder),
    Time(TimestampMicrosecondBuilder),
}

/// Rows of a report, built column by column.
pub struct ReportTable {
    fields: Vec<Field>,
    cols: Vec<Col>,
}

/// The kind of a report column.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Str,
    Count,
    Time,
}

impl ReportTable {
    pub fn new(columns: &[(&str, Kind)]) -> Self {
        let mut fields = Vec::new();
        let mut cols = Vec::new();
        for (name, kind) in columns {
            let (dt, col) = match kind {
                Kind::Str => (DataType::Utf8, Col::Str(StringBuilder::new())),
                Kind::Count => (DataType::UInt64, Col::Count(UInt64Builder::new())),
                Kind::Time => (
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    Col::Time(TimestampMicrosecondBuilder::new().with_timezone("UTC")),
                ),
            };
            fields.push(Field::new(*name, dt, true));
            cols.push(col);
        }
        ReportTable { fields, cols }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        for (col, cell) in self.cols.iter_mut().zip(row) {
            match (col, cell) {
                (Col::Str(b), Cell::Str(v)) => b.append_option(v),
                (Col::Count(b), Cell::Count(v)) => b.append_value(v),
                (Col::Time(b), Cell::Time(v)) => b.append_option(v),
                (Col::Str(b), _) => b.append_null(),
                (Col::Count(b), _) => b.append_null(),
                (Col::Time(b), _) => b.append_null(),
            }
        }
    }

    pub fn finish(self) -> Result<RecordBatch> {
        let arrays: Vec<ArrayRef> = self
            .cols
            .into_iter()
            .map(|c| -> ArrayRef {
                match c {
                    Col::Str(mut b) => Arc::new(b.finish()),
                    Col::Count(mut b) => Arc::new(b.finish()),
                    Col::Time(mut b) => Arc::new(b.finish()),
                }
            })
            .collect();
        RecordBatch::try_new(Arc::new(Schema::new(self.fields)), arrays)
            .map_err(QueryError::arrow("building a report"))
    }
}

/// A string cell.
pub fn s(v: Option<&str>) -> Cell {
    Cell::Str(v.map(str::to_string))
}
