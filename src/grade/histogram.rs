//! The class's scores as an SVG bar chart, written beside an export (`--out grades.csv` gives
//! `grades-scores.svg`) for two or more submissions. Drawn like the runtime's line charts
//! (`kvmlab_runtime::plot`): same size, fonts and palette; same class, same bytes.

use super::class::{points, Class};
use plotters::prelude::*;

const BAR: RGBColor = RGBColor(31, 119, 180);

pub fn to_svg(class: &Class) -> Result<String, String> {
    let bins = &class.summary.distribution;
    let most = bins.iter().map(|b| b.students).max().unwrap_or(0).max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let caption = format!(
            "{}: scores of {} submission(s)",
            class.title,
            class.submissions.len()
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(0..bins.len() as u32, 0..most + most.div_ceil(10))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(bins.len() + 1)
            .x_label_formatter(&|i| {
                bins.get(*i as usize)
                    .map(|b| points(b.from))
                    .unwrap_or_else(|| points(class.max_score))
            })
            .y_label_formatter(&|n| n.to_string())
            .x_desc(format!("score (of {})", points(class.max_score)))
            .y_desc("students")
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(bins.iter().enumerate().map(|(i, bin)| {
                let i = i as u32;
                let mut bar = Rectangle::new([(i, 0), (i + 1, bin.students as u32)], BAR.filled());
                bar.set_margin(0, 0, 3, 3);
                bar
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
