//! Label sheets: where each label of a sheet (A4 unless told) lies.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pustaka_domain::ValidationError;

/// A4 in millimetres.
pub const A4: (f32, f32) = (210.0, 297.0);

/// A grid of labels on a sheet (A4 unless `sheet_width` and `sheet_height` say otherwise), in
/// millimetres. The PDF's page is the sheet's size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// Labels across, 1–20.
    pub columns: u32,
    /// Labels down, 1–40.
    pub rows: u32,
    /// Label width (mm).
    pub label_width: f32,
    /// Label height (mm).
    pub label_height: f32,
    /// From the sheet's top edge to the first row (mm).
    pub margin_top: f32,
    /// From the sheet's left edge to the first column (mm).
    pub margin_left: f32,
    /// Between two columns (mm).
    #[serde(default)]
    pub gap_x: f32,
    /// Between two rows (mm).
    #[serde(default)]
    pub gap_y: f32,
    /// The sheet's width (mm), 50–420; default A4's 210.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet_width: Option<f32>,
    /// The sheet's height (mm), 50–420; default A4's 297.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet_height: Option<f32>,
}

/// One named layout.
pub struct Preset {
    pub name: &'static str,
    pub description: &'static str,
    pub grid: Grid,
}

#[allow(clippy::too_many_arguments)]
const fn grid(columns: u32, rows: u32, w: f32, h: f32, top: f32, left: f32, gx: f32, gy: f32) -> Grid {
    Grid {
        columns,
        rows,
        label_width: w,
        label_height: h,
        margin_top: top,
        margin_left: left,
        gap_x: gx,
        gap_y: gy,
        sheet_width: None,
        sheet_height: None,
    }
}

/// The named sheets. `103` and `121` are the label sizes of the numbered label paper sold in
/// Indonesian stationery shops (No. 103: 32 × 64 mm, No. 121: 18 × 38 mm), laid out on A4; a
/// test print on plain paper held against the label sheet shows whether a printer needs the
/// generic grid with its own margins instead. Source: not verified. A search of the stored public
/// pages (December 2026) found no maker's sheet dimensions for these numbers; the packs sold in
/// shops are smaller than A4, so the layout of the shop sheet itself (its size, rows and columns)
/// is left to a custom `grid` with `sheet_width` and `sheet_height` until measured.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "a4-3x8",
        description: "A4, 3 × 8 labels of 70 × 37 mm, no gaps",
        grid: grid(3, 8, 70.0, 37.0, 0.5, 0.0, 0.0, 0.0),
    },
    Preset {
        name: "a4-4x10",
        description: "A4, 4 × 10 labels of 48.5 × 25.4 mm",
        grid: grid(4, 10, 48.5, 25.4, 21.5, 8.0, 0.0, 0.0),
    },
    Preset {
        name: "103",
        description: "Label No. 103 size, 64 × 32 mm, 3 × 8 on A4",
        grid: grid(3, 8, 64.0, 32.0, 10.0, 6.0, 3.0, 3.0),
    },
    Preset {
        name: "121",
        description: "Label No. 121 size, 38 × 18 mm, 5 × 14 on A4",
        grid: grid(5, 14, 38.0, 18.0, 12.75, 6.0, 2.0, 1.5),
    },
];

impl Grid {
    /// The preset called `name`.
    pub fn preset(name: &str) -> Option<Grid> {
        PRESETS.iter().find(|p| p.name == name).map(|p| p.grid)
    }

    /// The sheet's width (mm).
    pub fn sheet_width(&self) -> f32 {
        self.sheet_width.unwrap_or(A4.0)
    }

    /// The sheet's height (mm).
    pub fn sheet_height(&self) -> f32 {
        self.sheet_height.unwrap_or(A4.1)
    }

    /// Labels on one sheet.
    pub fn per_sheet(&self) -> usize {
        (self.columns * self.rows) as usize
    }

    /// Checks that the grid is sane and fits on its sheet; the first fault as (field, error).
    pub fn check(&self) -> Result<(), (&'static str, ValidationError)> {
        let range = |field: &'static str, v: f32, min: f32, max: f32| {
            if v.is_finite() && v >= min && v <= max {
                Ok(())
            } else {
                Err((field, ValidationError::new("out_of_range", format!("{field} must be from {min} to {max} mm"))))
            }
        };
        if !(1..=20).contains(&self.columns) {
            return Err(("columns", ValidationError::new("out_of_range", "columns must be from 1 to 20")));
        }
        if !(1..=40).contains(&self.rows) {
            return Err(("rows", ValidationError::new("out_of_range", "rows must be from 1 to 40")));
        }
        if let Some(w) = self.sheet_width {
            range("sheet_width", w, 50.0, 420.0)?;
        }
        if let Some(h) = self.sheet_height {
            range("sheet_height", h, 50.0, 420.0)?;
        }
        let (sw, sh) = (self.sheet_width(), self.sheet_height());
        range("label_width", self.label_width, 10.0, sw)?;
        range("label_height", self.label_height, 5.0, sh)?;
        range("margin_top", self.margin_top, 0.0, sh)?;
        range("margin_left", self.margin_left, 0.0, sw)?;
        range("gap_x", self.gap_x, 0.0, sw)?;
        range("gap_y", self.gap_y, 0.0, sh)?;
        let right = self.margin_left + self.columns as f32 * self.label_width + (self.columns - 1) as f32 * self.gap_x;
        let bottom = self.margin_top + self.rows as f32 * self.label_height + (self.rows - 1) as f32 * self.gap_y;
        if right > sw + 0.01 {
            return Err((
                "columns",
                ValidationError::new(
                    "too_wide",
                    format!("the labels end {right:.1} mm from the left edge: wider than the sheet ({sw} mm)"),
                ),
            ));
        }
        if bottom > sh + 0.01 {
            return Err((
                "rows",
                ValidationError::new(
                    "too_tall",
                    format!("the labels end {bottom:.1} mm from the top edge: taller than the sheet ({sh} mm)"),
                ),
            ));
        }
        Ok(())
    }

    /// The top left corner of label `i` of a sheet (row by row).
    pub fn position(&self, i: usize) -> (f32, f32) {
        let (col, row) = ((i % self.columns as usize) as f32, (i / self.columns as usize) as f32);
        (
            self.margin_left + col * (self.label_width + self.gap_x),
            self.margin_top + row * (self.label_height + self.gap_y),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_fit_a4() {
        for p in PRESETS {
            assert!(p.grid.check().is_ok(), "{}", p.name);
        }
        assert_eq!(Grid::preset("103").unwrap().per_sheet(), 24);
    }

    #[test]
    fn bad_grids_name_their_field() {
        let g = Grid::preset("a4-3x8").unwrap();
        assert_eq!(Grid { margin_top: -1.0, ..g }.check().unwrap_err().0, "margin_top");
        assert_eq!(Grid { gap_x: f32::NAN, ..g }.check().unwrap_err().0, "gap_x");
        assert_eq!(Grid { columns: 4, ..g }.check().unwrap_err().0, "columns");
        assert_eq!(Grid { rows: 0, ..g }.check().unwrap_err().0, "rows");
        assert_eq!(Grid { margin_top: 10.0, ..g }.check().unwrap_err().0, "rows");
        assert_eq!(g.position(4), (70.0, 37.5));
        let small = Grid { sheet_width: Some(100.0), sheet_height: Some(150.0), columns: 1, rows: 4, ..g };
        assert!(small.check().is_ok());
        assert_eq!(Grid { columns: 2, ..small }.check().unwrap_err().0, "columns");
        assert_eq!(Grid { sheet_width: Some(10.0), ..small }.check().unwrap_err().0, "sheet_width");
    }
}
