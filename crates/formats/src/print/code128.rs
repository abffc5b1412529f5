//! Code 128 barcodes (set B, through `barcoders`) drawn as vector bars.

use super::pdf::Doc;

/// The bars of `text` as modules, 1 for black, with start, check and stop symbols.
pub fn modules(text: &str) -> Result<Vec<u8>, String> {
    if text.is_empty() || !text.chars().all(|c| (' '..='~').contains(&c)) {
        return Err(format!("{text:?} cannot be written in Code 128 set B"));
    }
    let code = barcoders::sym::code128::Code128::new(format!("Ɓ{text}")).map_err(|e| e.to_string())?;
    Ok(code.encode())
}

/// Draws the barcode of `text` centred in the box (`x`, `y`, `width` × `height` mm), with a quiet
/// zone of ten modules each side, modules at most `max_module` mm wide. Returns the module width used.
pub fn draw(
    doc: &mut Doc,
    text: &str,
    x: f32,
    y: f32,
    width: f32,
    height: f32,
    max_module: f32,
) -> Result<f32, String> {
    let bars = modules(text)?;
    let module = (width / (bars.len() as f32 + 20.0)).min(max_module);
    let start = x + (width - module * bars.len() as f32) / 2.0;
    let mut i = 0;
    while i < bars.len() {
        if bars[i] == 1 {
            let run = bars[i..].iter().take_while(|&&b| b == 1).count();
            doc.fill(start + module * i as f32, y, module * run as f32, height);
            i += run;
        } else {
            i += 1;
        }
    }
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_eleven_modules_and_the_stop_thirteen() {
        let m = modules("B000042").unwrap();
        assert_eq!(m.len(), 11 * (1 + 7 + 1) + 13);
        assert_eq!(&m[..11], &[1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0], "start B");
        assert!(modules("").is_err());
        assert!(modules("é").is_err());
    }
}
