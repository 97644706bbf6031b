//! A [`Calibration`] for people (a comfy-table table, a row per point, and the summary
//! line), for tools (JSON) and as an SVG plot of predicted against real total time and
//! downtime. Output depends only on the calibration: same figures, same bytes.

use super::{records::shown, Calibration, Ended, Figures, Row, Spread};
use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};
use plotters::prelude::*;

/// The lines above the table: what was compared with what.
pub fn header(calibration: &Calibration) -> String {
    format!(
        "real: {}, {} migration(s)\nkvmlab: profile {} (QEMU 7.2), a {} Gbit/s link: loopback is faster than every cap here, so pre-copy runs at each point's cap and only the stop-and-copy at link speed\n",
        calibration.real_source,
        calibration.rows.len(),
        calibration.profile,
        calibration.link_bytes_per_s * 8.0 / 1e9,
    )
}

/// The table: a row per point, real beside kvmlab's figure and the error for each quantity.
pub fn table(calibration: &Calibration, unicode: bool) -> String {
    let mut table = Table::new();
    table
        .load_preset(if unicode {
            presets::UTF8_FULL_CONDENSED
        } else {
            presets::ASCII_FULL_CONDENSED
        })
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(
            [
                "#",
                "point",
                "time s",
                "kvmlab",
                "err",
                "downtime ms",
                "kvmlab",
                "err",
                "MB",
                "kvmlab",
                "err",
                "syncs",
                "kvmlab",
                "err",
            ]
            .map(Cell::new),
        );
    for (i, row) in calibration.rows.iter().enumerate() {
        let (real, predicted) = (&row.real, &row.predicted);
        let errors = row.error_pct.named().map(|(_, e)| e);
        let cells = [
            (i + 1).to_string(),
            point_cell(row),
            format!("{:.3}", real.total_time_s),
            format!("{:.3}", predicted.total_time_s),
            percent(errors[0]),
            millis(real.downtime_ms),
            millis(predicted.downtime_ms),
            percent(errors[1]),
            format!("{:.1}", real.transferred as f64 / 1e6),
            format!("{:.1}", predicted.transferred as f64 / 1e6),
            percent(errors[2]),
            real.iterations.to_string(),
            predicted.iterations.to_string(),
            percent(errors[3]),
        ];
        table.add_row(cells.into_iter().enumerate().map(|(column, text)| {
            let cell = Cell::new(text);
            if column == 1 {
                cell
            } else {
                cell.set_alignment(CellAlignment::Right)
            }
        }));
    }
    format!("{table}\n")
}

/// The point in two lines: its settings, then its guest (and where the run came from);
/// how the runs ended when not both completed.
fn point_cell(row: &Row) -> String {
    let point = &row.point;
    let mut text = format!(
        "{}\n{} MiB, {} used, {} wss",
        point.label(),
        point.memory >> 20,
        point.used >> 20,
        point.wss >> 20
    );
    if let Some(source) = &row.source {
        text.push_str(&format!(" · {}", shown(source)));
    }
    for (who, figures) in [("real", &row.real), ("kvmlab", &row.predicted)] {
        if figures.status != Ended::Completed {
            text.push_str(&format!("\n{who} {}", ended(figures)));
        }
    }
    text
}

fn ended(figures: &Figures) -> String {
    format!("{} at {:.1} s", figures.status.name(), figures.total_time_s)
}

fn millis(ms: Option<f64>) -> String {
    ms.map_or_else(|| "—".into(), |ms| format!("{ms:.1}"))
}

/// A signed error with a true minus sign: `+0.12 %`, `−3.40 %`; `—` when there is none.
fn percent(error: Option<f64>) -> String {
    match error {
        None => "—".into(),
        Some(e) => {
            let text = format!("{:.2} %", e.abs());
            if e < 0.0 && text != "0.00 %" {
                format!("−{text}")
            } else {
                format!("+{text}")
            }
        }
    }
}

/// The summary: median and worst absolute error per quantity.
pub fn summary(calibration: &Calibration) -> String {
    let parts: Vec<String> = calibration
        .summary
        .named()
        .iter()
        .map(|(name, spread)| match spread {
            None => format!("{name} —"),
            Some(Spread {
                median_pct,
                worst_pct,
                worst_row,
                rows,
            }) => format!(
                "{name} {median_pct:.2} % (worst {worst_pct:.2} %, #{worst_row}; {rows} compared)"
            ),
        })
        .collect();
    format!("median |error|: {}\n", parts.join("; "))
}

/// Header, table and summary, as `kvmlab calibrate` prints them.
pub fn text(calibration: &Calibration, unicode: bool) -> String {
    format!(
        "{}{}{}",
        header(calibration),
        table(calibration, unicode),
        summary(calibration)
    )
}

pub fn json(calibration: &Calibration) -> String {
    serde_json::to_string_pretty(calibration).expect("a calibration is numbers and strings")
}

const REAL_COLOR: RGBColor = RGBColor(31, 119, 180);
const DIAGONAL_COLOR: RGBColor = RGBColor(128, 128, 128);

/// Two panels, total time and downtime: a dot per point at (real, kvmlab), and the
/// diagonal where the prediction is exact. Points whose runs did not both complete are left
/// out (their downtime is not defined).
pub fn svg(calibration: &Calibration) -> Result<String, String> {
    let completed: Vec<&Row> = calibration
        .rows
        .iter()
        .filter(|r| r.real.status == Ended::Completed && r.predicted.status == Ended::Completed)
        .collect();
    let time: Vec<(f64, f64)> = completed
        .iter()
        .map(|r| (r.real.total_time_s, r.predicted.total_time_s))
        .collect();
    let downtime: Vec<(f64, f64)> = completed
        .iter()
        .filter_map(|r| r.real.downtime_ms.zip(r.predicted.downtime_ms))
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let panels = root.split_evenly((1, 2));
        panel(
            &panels[0],
            "Total time",
            "real QEMU (s)",
            "kvmlab (s)",
            &time,
        )?;
        panel(
            &panels[1],
            "Downtime",
            "real QEMU (ms)",
            "kvmlab (ms)",
            &downtime,
        )?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn panel(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    points: &[(f64, f64)],
) -> Result<(), String> {
    let top = points
        .iter()
        .flat_map(|&(x, y)| [x, y])
        .fold(0.0_f64, f64::max)
        .max(1e-9)
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..top, 0.0..top)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(
            [(0.0, 0.0), (top, top)],
            DIAGONAL_COLOR.stroke_width(1),
        ))
        .map_err(|e| e.to_string())?
        .label("exact")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], DIAGONAL_COLOR));
    chart
        .draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, 4, REAL_COLOR.filled())),
        )
        .map_err(|e| e.to_string())?
        .label("a point: real, kvmlab")
        .legend(|(x, y)| Circle::new((x + 10, y), 4, REAL_COLOR.filled()));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}
