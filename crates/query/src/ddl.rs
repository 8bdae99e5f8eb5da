//! Table definitions that let external engines read the archive as it is: DuckDB, Athena (with
//! partition projection on `tier` and `event_date`) and Trino's Hive connector.

use std::str::FromStr;

use arrow::datatypes::DataType;

use crate::error::{QueryError, Result};

/// An external query engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Duckdb,
    Athena,
    Trino,
}

impl FromStr for Engine {
    type Err = QueryError;
    fn from_str(s: &str) -> Result<Engine> {
        match s {
            "duckdb" => Ok(Engine::Duckdb),
            "athena" => Ok(Engine::Athena),
            "trino" => Ok(Engine::Trino),
            _ => Err(QueryError::arg(
                "--engine",
                format!("{s:?}: expected duckdb, athena or trino"),
            )),
        }
    }
}

/// What the statement needs to know of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DdlOptions {
    pub engine: Engine,
    /// The archive's location: a directory or `s3://bucket/prefix`.
    pub location: String,
    /// The table's name.
    pub table: String,
    /// The tiers (Athena's projection enumerates them).
    pub tiers: Vec<String>,
    /// The first event date Athena's projection covers (`YYYY-MM-DD`).
    pub first_date: String,
}

/// The engine's type of a column of the archive's schema. `seq` and `source_offset` are signed
/// 64-bit, which every engine reads as `bigint` (an unsigned one is `decimal(20,0)` to Trino,
/// Athena and Spark).
fn column_type(engine: Engine, t: &DataType) -> &'static str {
    match (engine, t) {
        (Engine::Athena, DataType::Int64) => "bigint",
        (_, DataType::Int64) => "BIGINT",
        (Engine::Athena, DataType::Timestamp(..)) => "timestamp",
        (_, DataType::Timestamp(..)) => "TIMESTAMP(6) WITH TIME ZONE",
        (Engine::Athena, _) => "string",
        (_, _) => "VARCHAR",
    }
}

fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The statement(s) that define a table over the archive.
pub fn ddl(opts: &DdlOptions) -> String {
    let loc = opts.location.trim_end_matches('/');
    let schema = auditlake_event::arrow_schema();
    let columns = |engine: Engine, quote: &str| -> String {
        schema
            .fields()
            .iter()
            .map(|f| {
                format!(
                    "  {quote}{}{quote} {}",
                    f.name(),
                    column_type(engine, f.data_type())
                )
            })
            .collect::<Vec<_>>()
            .join(",\n")
    };
    match opts.engine {
        Engine::Duckdb => format!(
            "-- DuckDB: the partition columns tier and event_date come from the paths.\n\
             CREATE OR REPLACE VIEW {t} AS\n\
             SELECT * FROM read_parquet({p}, hive_partitioning = true, hive_types = {{'tier': VARCHAR, 'event_date': DATE}});\n",
            t = opts.table,
            p = sql_str(&format!("{loc}/tier=*/event_date=*/*.parquet")),
        ),
        Engine::Athena => {
            let tiers = if opts.tiers.is_empty() {
                "security,standard,operational".to_string()
            } else {
                opts.tiers.join(",")
            };
            format!(
                "-- Athena: partition projection, no crawler and no MSCK REPAIR needed.\n\
                 CREATE EXTERNAL TABLE IF NOT EXISTS {t} (\n{cols}\n)\n\
                 PARTITIONED BY (tier string, event_date string)\n\
                 STORED AS PARQUET\n\
                 LOCATION {l}\n\
                 TBLPROPERTIES (\n\
                 \x20 'parquet.compression' = 'ZSTD',\n\
                 \x20 'projection.enabled' = 'true',\n\
                 \x20 'projection.tier.type' = 'enum',\n\
                 \x20 'projection.tier.values' = {tv},\n\
                 \x20 'projection.event_date.type' = 'date',\n\
                 \x20 'projection.event_date.format' = 'yyyy-MM-dd',\n\
                 \x20 'projection.event_date.range' = {range},\n\
                 \x20 'projection.event_date.interval' = '1',\n\
                 \x20 'projection.event_date.interval.unit' = 'DAYS',\n\
                 \x20 'storage.location.template' = {tmpl}\n\
                 );\n",
                t = opts.table,
                cols = columns(Engine::Athena, "`"),
                l = sql_str(&format!("{loc}/")),
                tv = sql_str(&tiers),
                range = sql_str(&format!("{},NOW", opts.first_date)),
                tmpl = sql_str(&format!("{loc}/tier=${{tier}}/event_date=${{event_date}}/")),
            )
        }
        Engine::Trino => format!(
            "-- Trino (Hive connector): partition columns come last; then register the partitions.\n\
             CREATE TABLE IF NOT EXISTS {t} (\n{cols},\n  \"tier\" VARCHAR,\n  \"event_date\" VARCHAR\n)\n\
             WITH (\n  external_location = {l},\n  format = 'PARQUET',\n  partitioned_by = ARRAY['tier', 'event_date']\n);\n\
             CALL system.sync_partition_metadata(schema_name => CURRENT_SCHEMA, table_name => {tn}, mode => 'FULL');\n",
            t = opts.table,
            cols = columns(Engine::Trino, "\""),
            l = sql_str(loc),
            tn = sql_str(&opts.table),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(engine: Engine) -> DdlOptions {
        DdlOptions {
            engine,
            location: "s3://audit/prod/".into(),
            table: "audit_events".into(),
            tiers: vec!["security".into(), "standard".into()],
            first_date: "2026-01-01".into(),
        }
    }

    #[test]
    fn athena_projects_tier_and_date() {
        let s = ddl(&opts(Engine::Athena));
        assert!(
            s.contains("PARTITIONED BY (tier string, event_date string)"),
            "{s}"
        );
        assert!(
            s.contains("'projection.tier.values' = 'security,standard'"),
            "{s}"
        );
        assert!(
            s.contains("'s3://audit/prod/tier=${tier}/event_date=${event_date}/'"),
            "{s}"
        );
        assert!(s.contains("`time` timestamp"), "{s}");
    }

    #[test]
    fn trino_puts_partitions_last_and_duckdb_reads_hive_paths() {
        let s = ddl(&opts(Engine::Trino));
        assert!(
            s.contains("\"raw\" VARCHAR,\n  \"flags\" VARCHAR,\n  \"tier\" VARCHAR"),
            "{s}"
        );
        let d = ddl(&opts(Engine::Duckdb));
        assert!(
            d.contains("'s3://audit/prod/tier=*/event_date=*/*.parquet'"),
            "{d}"
        );
        assert!("athena".parse::<Engine>().is_ok() && "x".parse::<Engine>().is_err());
    }

    /// The type Trino's (and Athena engine 3's) Parquet reader gives a column, by its Parquet
    /// physical and logical type, from Trino's Parquet type mapping.
    fn trino_reads(c: &parquet::schema::types::ColumnDescriptor) -> String {
        use parquet::basic::{LogicalType, TimeUnit, Type};
        match (c.physical_type(), c.logical_type_ref()) {
            (Type::INT64, None) => "bigint".into(),
            (Type::INT64, Some(LogicalType::Integer(i))) if i.bit_width == 64 && i.is_signed => {
                "bigint".into()
            }
            (Type::INT64, Some(LogicalType::Integer(i))) if i.bit_width == 64 => {
                "decimal(20,0)".into()
            }
            (Type::INT64, Some(LogicalType::Timestamp(t)))
                if t.is_adjusted_to_u_t_c && t.unit == TimeUnit::MICROS =>
            {
                "timestamp(6) with time zone".into()
            }
            (Type::BYTE_ARRAY, Some(LogicalType::String)) => "varchar".into(),
            (t, l) => format!("unmapped {t:?} {l:?}"),
        }
    }

    /// The declared type of each column in a `CREATE TABLE` statement, by name.
    fn declared(s: &str, quote: char) -> std::collections::BTreeMap<String, String> {
        s.lines()
            .filter_map(|l| {
                let l = l.trim().trim_end_matches(',');
                let rest = l.strip_prefix(quote)?;
                let (name, ty) = rest.split_once(quote)?;
                Some((name.to_string(), ty.trim().to_lowercase()))
            })
            .collect()
    }

    #[test]
    fn declared_types_are_what_trino_and_athena_read_from_the_files() {
        // seq and source_offset were unsigned: Trino, Athena and Spark read decimal(20,0), not
        // the bigint the DDL declared.
        let parquet = parquet::arrow::ArrowSchemaConverter::new()
            .convert(&auditlake_event::arrow_schema())
            .unwrap();
        let trino = declared(&ddl(&opts(Engine::Trino)), '"');
        let athena = declared(&ddl(&opts(Engine::Athena)), '`');
        for c in parquet.columns() {
            let reads = trino_reads(c);
            assert_eq!(trino[c.name()], reads, "trino: {}", c.name());
            let athena_type = match reads.as_str() {
                "varchar" => "string",
                "timestamp(6) with time zone" => "timestamp",
                other => other,
            };
            assert_eq!(athena[c.name()], athena_type, "athena: {}", c.name());
        }
        for c in ["seq", "source_offset"] {
            assert_eq!(trino[c], "bigint");
            assert_eq!(athena[c], "bigint");
        }
    }
}
