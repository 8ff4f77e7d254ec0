//! Barcodes for labels, drawn as inline SVG: a Data Matrix (ECC 200, ISO/IEC 16022) from the
//! `datamatrix` crate and a Code 128 from `barcoders`. The crates give the modules; this file
//! adds the quiet zones the standards ask for and draws the dark modules as one path, row
//! runs merged, with crisp edges so a printer or a camera sees whole modules.

use maud::{Markup, html};

/// Data Matrix asks for one module of quiet zone on every side; two leave room for a
/// label printer's bleed.
const MATRIX_QUIET: usize = 2;
/// Code 128 asks for ten modules of quiet zone before and after the bars.
const LINEAR_QUIET: usize = 10;

/// A barcode as modules, quiet zone included: the dark runs of each row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Barcode {
    /// Modules across, quiet zone included.
    pub width: usize,
    /// Modules down, quiet zone included (1 for a linear code: its bars are all one row).
    pub height: usize,
    /// The symbol alone, without its quiet zone (`16x16`, `145`), as the standard counts it.
    pub symbol: String,
    /// (x, y, length) of each run of dark modules in a row.
    runs: Vec<(usize, usize, usize)>,
    kind: &'static str,
    data: String,
}

impl Barcode {
    /// `data` as a square Data Matrix (square symbols are the ones every reader takes).
    pub fn data_matrix(data: &str) -> Result<Barcode, String> {
        let code = datamatrix::DataMatrix::encode(
            data.as_bytes(),
            datamatrix::SymbolList::default().enforce_square(),
        )
        .map_err(|e| format!("{data} does not fit a Data Matrix: {e:?}"))?;
        let bitmap = code.bitmap();
        let (w, h) = (bitmap.width(), bitmap.height());
        let mut dark = vec![false; w * h];
        for (x, y) in bitmap.pixels() {
            dark[y * w + x] = true;
        }
        let runs = (0..h)
            .flat_map(|y| {
                row_runs(&dark[y * w..(y + 1) * w])
                    .into_iter()
                    .map(move |(x, len)| (x + MATRIX_QUIET, y + MATRIX_QUIET, len))
            })
            .collect();
        Ok(Barcode {
            width: w + 2 * MATRIX_QUIET,
            height: h + 2 * MATRIX_QUIET,
            symbol: format!("{w}x{h}"),
            runs,
            kind: "Data Matrix",
            data: data.to_string(),
        })
    }

    /// `data` (printable ASCII) as Code 128, digits paired in code set C where that is
    /// shorter.
    pub fn code128(data: &str) -> Result<Barcode, String> {
        let input = code128_input(data)?;
        let bars = barcoders::sym::code128::Code128::new(&input)
            .map_err(|e| format!("{data} cannot be a Code 128: {e}"))?
            .encode();
        let dark: Vec<bool> = bars.iter().map(|b| *b == 1).collect();
        let runs = row_runs(&dark)
            .into_iter()
            .map(|(x, len)| (x + LINEAR_QUIET, 0, len))
            .collect();
        Ok(Barcode {
            width: bars.len() + 2 * LINEAR_QUIET,
            height: 1,
            symbol: bars.len().to_string(),
            runs,
            kind: "Code 128",
            data: data.to_string(),
        })
    }

    /// The SVG, `width_mm` × `height_mm` on the page (a linear code's one row is stretched to
    /// the bars' height).
    pub fn svg(&self, width_mm: f64, height_mm: f64) -> Markup {
        let mut d = String::with_capacity(self.runs.len() * 16);
        for (x, y, len) in &self.runs {
            d.push_str(&format!("M{x} {y}h{len}v1h-{len}z"));
        }
        html! {
            svg.barcode xmlns="http://www.w3.org/2000/svg" role="img"
                aria-label={ (self.kind) " of " (self.data) }
                data-kind=(self.kind) data-modules=(self.symbol)
                viewBox={ "0 0 " (self.width) " " (self.height) }
                width={ (mm(width_mm)) "mm" } height={ (mm(height_mm)) "mm" }
                preserveAspectRatio="none" shape-rendering="crispEdges" {
                rect width=(self.width) height=(self.height) fill="#fff" {}
                path d=(d) fill="#000" {}
            }
        }
    }
}

/// Millimetres to two decimals, without trailing zeros.
fn mm(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// (start, length) of each run of dark modules.
fn row_runs(row: &[bool]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (x, dark) in row.iter().chain(std::iter::once(&false)).enumerate() {
        match (*dark, start) {
            (true, None) => start = Some(x),
            (false, Some(s)) => {
                runs.push((s, x - s));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// The input `barcoders` takes: each character behind the code set it is in (`Ɓ` for B, `Ć`
/// for C). Runs of digits go in set C, two to a symbol, where that saves symbols: four or
/// more at either end, six or more between letters; an odd digit goes first, in set B.
fn code128_input(data: &str) -> Result<String, String> {
    if data.is_empty() {
        return Err("nothing to encode".into());
    }
    if let Some(bad) = data.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(format!(
            "{bad:?} in {data:?} is not a printable ASCII character"
        ));
    }
    let chars: Vec<char> = data.chars().collect();
    let mut out = String::new();
    let mut set = None;
    let mut switch = |out: &mut String, to: char| {
        if set != Some(to) {
            out.push(to);
            set = Some(to);
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let at_edge = i == 0 || i + run == chars.len();
        if run >= if at_edge { 4 } else { 6 } {
            if run % 2 == 1 {
                switch(&mut out, 'Ɓ');
                out.push(chars[i]);
                i += 1;
            }
            let pairs = run - run % 2;
            switch(&mut out, 'Ć');
            out.extend(&chars[i..i + pairs]);
            i += pairs;
        } else {
            switch(&mut out, 'Ɓ');
            out.push(chars[i]);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dark modules of a drawn barcode, as a grid (quiet zone included).
    fn grid(b: &Barcode) -> Vec<Vec<bool>> {
        let mut g = vec![vec![false; b.width]; b.height];
        for (x, y, len) in &b.runs {
            for cell in &mut g[*y][*x..x + len] {
                *cell = true;
            }
        }
        g
    }

    #[test]
    fn a_din_is_a_16_by_16_data_matrix_with_its_finder_pattern_and_quiet_zone() {
        // `=`, `W`, then seven digit pairs: nine codewords, more than a 14×14 symbol's eight.
        let b = Barcode::data_matrix("=W12342500001200").expect("encodes");
        assert_eq!(b.symbol, "16x16");
        assert_eq!((b.width, b.height), (20, 20));
        let g = grid(&b);
        let (q, n) = (MATRIX_QUIET, 16);
        for i in 0..n {
            // The solid L: the left column and the bottom row.
            assert!(g[q + i][q], "left column, row {i}");
            assert!(g[q + n - 1][q + i], "bottom row, column {i}");
            // The clock track: the top row and the right column alternate, dark first.
            assert_eq!(g[q][q + i], i % 2 == 0, "top row, column {i}");
            assert_eq!(g[q + n - 1 - i][q + n - 1], i % 2 == 0, "right column {i}");
        }
        for (y, row) in g.iter().enumerate() {
            for (x, dark) in row.iter().enumerate() {
                if x < q || y < q || x >= q + n || y >= q + n {
                    assert!(!dark, "the quiet zone is light at ({x}, {y})");
                }
            }
        }
        let svg = b.svg(20.0, 20.0).into_string();
        assert!(svg.contains(r#"viewBox="0 0 20 20""#), "{svg}");
        assert!(svg.contains(r#"data-modules="16x16""#), "{svg}");
        assert!(svg.contains(r#"width="20mm""#), "{svg}");
    }

    #[test]
    fn a_din_in_code_128_pairs_its_digits_in_set_c() {
        assert_eq!(
            code128_input("=W12342500001200").unwrap(),
            "Ɓ=WĆ12342500001200"
        );
        // start B, `=`, `W`, code C, seven pairs, check symbol: 12 × 11 modules, stop 13.
        let b = Barcode::code128("=W12342500001200").expect("encodes");
        assert_eq!(b.symbol, "145");
        assert_eq!(b.width, 145 + 2 * LINEAR_QUIET);
        let row: String = grid(&b)[0]
            .iter()
            .map(|d| if *d { '1' } else { '0' })
            .collect();
        let bars = &row[LINEAR_QUIET..LINEAR_QUIET + 145];
        assert!(bars.starts_with("11010010000"), "start B: {bars}");
        assert!(bars.ends_with("1100011101011"), "stop: {bars}");
        assert!(!row[..LINEAR_QUIET].contains('1') && !row[LINEAR_QUIET + 145..].contains('1'));
    }

    #[test]
    fn code_set_c_only_where_it_saves_symbols() {
        assert_eq!(code128_input("LOT-24017").unwrap(), "ƁLOT-2Ć4017");
        assert_eq!(code128_input("A12B").unwrap(), "ƁA12B");
        assert_eq!(code128_input("123456").unwrap(), "Ć123456");
        assert!(code128_input("naïve").is_err());
        assert!(code128_input("").is_err());
    }
}
