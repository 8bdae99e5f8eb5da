//! A report as one self-contained HTML file, for attaching to an audit: a title, what was asked,
//! a chart drawn as inline SVG where the report has one, and the table. No script, no external
//! resource; every value from a log is escaped for HTML, and the characters a terminal or a
//! bidi renderer acts on are shown as `\u{...}` escapes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::{QueryError, Result};
use crate::escape::is_unsafe_for_terminal;

/// The most bars a chart draws (the table has every row).
const MAX_BARS: usize = 25;

/// What a report's chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// No chart: the table alone.
    None,
    /// Rows counted by the values of a column.
    CountBy(&'static str),
    /// One bar per row: the first column's value, sized by a number column.
    Bars(&'static str),
    /// The heatmap report: weekdays by hours.
    Heatmap,
}

/// The chart that fits a report.
pub fn chart_for(report: &str) -> Chart {
    match report {
        "last-login" => Chart::CountBy("status"),
        "failed-logins" => Chart::Bars("failures"),
        "activity" => Chart::Bars("events"),
        "heatmap" => Chart::Heatmap,
        _ => Chart::None,
    }
}

/// Text escaped for HTML, with control and bidi characters made visible (marked).
pub fn text(s: &str) -> String {
    escaped(s, true)
}

/// Text escaped for SVG's `<text>`: controls made visible, unmarked.
fn svg_text(s: &str) -> String {
    escaped(s, false)
}

fn escaped(s: &str, mark: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_unsafe_for_terminal(c) && mark => {
                let _ = write!(out, "<span class=\"esc\">\\u{{{:04X}}}</span>", c as u32);
            }
            c if is_unsafe_for_terminal(c) => {
                let _ = write!(out, "\\u{{{:04X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The batch's cells as display strings (empty for null).
fn cells(batch: &RecordBatch) -> Result<Vec<Vec<String>>> {
    let batch = &crate::output::with_offset_timezone(batch)?;
    let opts = FormatOptions::default()
        .with_null("")
        .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S UTC"));
    let formatters = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(QueryError::arrow("formatting the report"))?;
    Ok((0..batch.num_rows())
        .map(|r| formatters.iter().map(|f| f.value(r).to_string()).collect())
        .collect())
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111;margin:2rem;}\
h1{font-size:1.4rem;margin:0 0 .25rem}p.meta{color:#444;margin:.1rem 0}\
table{border-collapse:collapse;margin-top:1rem;font-size:.85rem;width:100%}\
th,td{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top}\
th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.esc{background:#fde68a;border-radius:2px;font-family:monospace}\
svg{margin-top:1rem;max-width:100%}svg text{font-size:11px;fill:#111}\
@page{size:A4 landscape;margin:1cm}@media print{body{margin:0}table{font-size:.7rem}th{background:#ddd!important;-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

/// The report as an HTML document.
pub fn render(
    title: &str,
    asked: &[(String, String)],
    generated_at: &str,
    batch: &RecordBatch,
    chart: Chart,
) -> Result<String> {
    let columns: Vec<String> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let numeric: Vec<bool> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.data_type().is_numeric())
        .collect();
    let rows = cells(batch)?;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        text(title),
        text(title)
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">Generated {} by auditlake.</p>",
        text(generated_at)
    );
    if asked.is_empty() {
        h.push_str("<p class=\"meta\">Filter: every event.</p>\n");
    } else {
        let parts: Vec<String> = asked
            .iter()
            .map(|(k, v)| format!("{} = {}", text(k), text(v)))
            .collect();
        let _ = writeln!(h, "<p class=\"meta\">Filter: {}.</p>", parts.join("; "));
    }
    let _ = writeln!(h, "<p class=\"meta\">{} rows.</p>", rows.len());
    let col = |name: &str| columns.iter().position(|c| c == name);
    match chart {
        Chart::None => {}
        Chart::CountBy(name) => {
            if let Some(i) = col(name) {
                let mut counts: BTreeMap<&str, f64> = BTreeMap::new();
                for r in &rows {
                    *counts.entry(r[i].as_str()).or_default() += 1.0;
                }
                let mut bars: Vec<(String, f64)> = counts
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
                bars.sort_by(|a, b| b.1.total_cmp(&a.1));
                bar_chart(&mut h, &format!("rows by {name}"), &bars);
            }
        }
        Chart::Bars(name) => {
            if let Some(i) = col(name) {
                let mut bars: Vec<(String, f64)> = rows
                    .iter()
                    .map(|r| (r[0].clone(), r[i].parse().unwrap_or(0.0)))
                    .collect();
                bars.sort_by(|a, b| b.1.total_cmp(&a.1));
                bars.truncate(MAX_BARS);
                bar_chart(&mut h, &format!("{name} by {}", columns[0]), &bars);
            }
        }
        Chart::Heatmap => heatmap(&mut h, &columns, &rows),
    }
    h.push_str("<table><thead><tr>");
    for c in &columns {
        let _ = write!(h, "<th>{}</th>", text(c));
    }
    h.push_str("</tr></thead><tbody>\n");
    for r in &rows {
        h.push_str("<tr>");
        for (v, n) in r.iter().zip(&numeric) {
            if *n {
                let _ = write!(h, "<td class=\"n\">{}</td>", text(v));
            } else {
                let _ = write!(h, "<td>{}</td>", text(v));
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n</body></html>\n");
    Ok(h)
}

/// Horizontal bars with their labels and values.
fn bar_chart(h: &mut String, title: &str, bars: &[(String, f64)]) {
    if bars.is_empty() {
        return;
    }
    let max = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1.0);
    let (label_w, bar_w, row_h) = (220.0, 420.0, 18.0);
    let height = 24.0 + row_h * bars.len() as f64;
    let _ = write!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"{t}\">\
         <text x=\"0\" y=\"14\" font-weight=\"bold\">{t}</text>",
        w = label_w + bar_w + 60.0,
        t = svg_text(title)
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 24.0 + row_h * i as f64;
        let mut shown: String = label.chars().take(30).collect();
        if label.chars().nth(30).is_some() {
            shown.push('…');
        }
        let _ = write!(
            h,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{l}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{bw:.1}\" height=\"{bh}\" fill=\"#2563eb\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\">{v}</text>",
            lx = label_w - 6.0,
            ty = y + 12.0,
            l = svg_text(&shown),
            bw = bar_w * v / max,
            bh = row_h - 4.0,
            vx = label_w + bar_w * v / max + 4.0,
        );
    }
    h.push_str("</svg>\n");
}

/// The heatmap report's grid: one cell per weekday and hour, darker for more events.
fn heatmap(h: &mut String, columns: &[String], rows: &[Vec<String>]) {
    let hours: Vec<usize> = (0..columns.len())
        .filter(|&i| {
            let c = columns[i].strip_prefix('h').unwrap_or(&columns[i]);
            c.len() == 2 && c.bytes().all(|b| b.is_ascii_digit())
        })
        .collect();
    let value = |r: &Vec<String>, i: usize| r[i].parse::<f64>().unwrap_or(0.0);
    let max = rows
        .iter()
        .flat_map(|r| hours.iter().map(move |&i| value(r, i)))
        .fold(0.0, f64::max)
        .max(1.0);
    let (cell, left, top) = (22.0, 44.0, 30.0);
    let _ = write!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"events by weekday and hour (UTC)\">\
         <text x=\"0\" y=\"12\" font-weight=\"bold\">events by weekday and hour (UTC)</text>",
        left + cell * hours.len() as f64 + 10.0,
        top + cell * rows.len() as f64 + 10.0
    );
    for (j, &i) in hours.iter().enumerate() {
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            left + cell * j as f64 + cell / 2.0,
            top - 4.0,
            svg_text(columns[i].strip_prefix('h').unwrap_or(&columns[i]))
        );
    }
    for (k, r) in rows.iter().enumerate() {
        let y = top + cell * k as f64;
        let _ = write!(
            h,
            "<text x=\"0\" y=\"{:.1}\">{}</text>",
            y + 15.0,
            svg_text(&r[0])
        );
        for (j, &i) in hours.iter().enumerate() {
            let v = value(r, i);
            let shade = 245.0 - 200.0 * (v / max);
            let _ = write!(
                h,
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{w}\" height=\"{w}\" fill=\"rgb({s:.0},{s2:.0},255)\"><title>{} {}: {v}</title></rect>",
                left + cell * j as f64,
                svg_text(&r[0]),
                svg_text(&columns[i]),
                w = cell - 2.0,
                s = shade,
                s2 = shade.min(250.0),
            );
        }
    }
    h.push_str("</svg>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{StringArray, UInt64Array};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    #[test]
    fn log_content_is_escaped_and_controls_shown() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("actor_id", DataType::Utf8, true),
            Field::new("events", DataType::UInt64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![
                    Some("<script>alert(1)</script>\u{1b}[31m"),
                    Some("a\u{202e}b\"'&"),
                ])),
                Arc::new(UInt64Array::from(vec![3, 1])),
            ],
        )
        .unwrap();
        let h = render(
            "Activity <by user>",
            &[("actor".into(), "<x>".into())],
            "2026-12-02T10:00:00Z",
            &batch,
            Chart::Bars("events"),
        )
        .unwrap();
        assert!(!h.contains("<script>"), "{h}");
        assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(h.contains("\\u{001B}") && h.contains("\\u{202E}"));
        assert!(!h.contains('\u{1b}') && !h.contains('\u{202e}'));
        assert!(h.contains("a<span class=\"esc\">\\u{202E}</span>b&quot;&#39;&amp;"));
        assert!(h.contains("<svg") && h.contains("Activity &lt;by user&gt;"));
        let svg = &h[h.find("<svg").unwrap()..h.find("</svg>").unwrap()];
        assert!(!svg.contains("<span"), "SVG text holds no HTML: {svg}");
        assert!(
            svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;\\u{001B}"),
            "{svg}"
        );
        assert!(h.contains("Filter: actor = &lt;x&gt;."));
    }
}
