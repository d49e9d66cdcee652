//! The spreadsheet-safe CSV every export writes, and its download.

use actix_web::http::header;
use actix_web::HttpResponse;

/// A cell a spreadsheet will not run as a formula: one starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return gets a leading `'` — unless it is a
/// plain number.
pub fn spreadsheet_safe(cell: &str) -> String {
    // A plain number (a negative count, say) cannot run as a formula.
    let number = cell.parse::<f64>().is_ok_and(f64::is_finite);
    if !number && cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// A CSV that opens cleanly in Excel: UTF-8 with a BOM, CRLF, RFC 4180
/// quoting, and no cell a spreadsheet would run as a formula.
pub fn spreadsheet_csv<R, C>(header: &[&str], rows: R) -> anyhow::Result<Vec<u8>>
where
    R: IntoIterator<Item = Vec<C>>,
    C: AsRef<str>,
{
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    out.write_record(header)?;
    for row in rows {
        out.write_record(row.iter().map(|c| spreadsheet_safe(c.as_ref())))?;
    }
    out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// A CSV download named `filename`, never cached.
pub fn csv_download(filename: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_run_get_a_quote() {
        for risky in [
            "=SUM(A1)",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@cmd",
            "\tx",
            "\rx",
            "-inf",
        ] {
            assert_eq!(spreadsheet_safe(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["Ada", "a=b", "", "O'Brien", "-574", "+1", "-0.25"] {
            assert_eq!(spreadsheet_safe(plain), plain, "{plain:?}");
        }
    }
}
