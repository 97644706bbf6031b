//! Line charts as SVG text, for the plots labs write under `--out` (e.g. migration time
//! against guest memory). Output depends only on the data: same data, same bytes.

use plotters::prelude::*;

/// One named line of (x, y) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A shaded x range with a legend entry (e.g. when a migration ran).
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub from: f64,
    pub to: f64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub marks: Vec<Mark>,
}

/// Marks are drawn in these, lighter than the lines on top of them.
const MARK_COLORS: [RGBColor; 2] = [RGBColor(255, 165, 0), RGBColor(128, 128, 128)];

const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

impl LineChart {
    /// Renders the chart; axes start at zero and leave 10 % headroom above the data.
    pub fn to_svg(&self) -> Result<String, String> {
        let max = |f: fn(&(f64, f64)) -> f64| {
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(f))
                .fold(0.0_f64, f64::max)
        };
        let marks_end = self.marks.iter().map(|m| m.to).fold(0.0_f64, f64::max);
        let x_max = max(|p| p.0).max(marks_end).max(1e-9) * 1.05;
        let y_max = max(|p| p.1).max(1e-9) * 1.1;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (720, 440)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            let mut chart = ChartBuilder::on(&root)
                .caption(&self.title, ("sans-serif", 20))
                .margin(16)
                .x_label_area_size(44)
                .y_label_area_size(60)
                .build_cartesian_2d(0.0..x_max, 0.0..y_max)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc(self.x_label.as_str())
                .y_desc(self.y_label.as_str())
                .draw()
                .map_err(|e| e.to_string())?;
            for (i, mark) in self.marks.iter().enumerate() {
                let shade = MARK_COLORS[i % MARK_COLORS.len()].mix(0.3);
                // A band at least a pixel wide, so an instant still shows.
                let to = mark.to.max(mark.from + x_max / 700.0);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(mark.from, 0.0), (to, y_max)],
                        shade.filled(),
                    )))
                    .map_err(|e| e.to_string())?
                    .label(mark.label.as_str())
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 20, y + 5)], shade.filled())
                    });
            }
            for (i, series) in self.series.iter().enumerate() {
                let color = COLORS[i % COLORS.len()];
                chart
                    .draw_series(LineSeries::new(
                        series.points.iter().copied(),
                        color.stroke_width(2),
                    ))
                    .map_err(|e| e.to_string())?
                    .label(series.name.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                chart
                    .draw_series(
                        series
                            .points
                            .iter()
                            .map(|&p| Circle::new(p, 3, color.filled())),
                    )
                    .map_err(|e| e.to_string())?;
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(|e| e.to_string())?;
            root.present().map_err(|e| e.to_string())?;
        }
        Ok(svg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> LineChart {
        LineChart {
            title: "Migration time against memory in use".into(),
            x_label: "memory in use (MiB)".into(),
            y_label: "migration time (s)".into(),
            series: vec![Series {
                name: "qemu-kvm-0.12, 100 Mbit/s".into(),
                points: vec![(64.0, 6.0), (256.0, 22.0), (448.0, 38.0)],
            }],
            marks: Vec::new(),
        }
    }

    #[test]
    fn marks_are_shaded_bands_in_the_legend() {
        let mut marked = chart();
        marked.marks.push(Mark {
            from: 120.0,
            to: 158.0,
            label: "live migration".into(),
        });
        let plain = chart().to_svg().unwrap();
        let svg = marked.to_svg().unwrap();
        assert!(svg.contains("live migration"), "{svg}");
        let shaded = |svg: &str| svg.matches("fill=\"#FFA500\"").count();
        assert_eq!(shaded(&plain), 0);
        // The band and its legend swatch.
        assert_eq!(shaded(&svg), 2, "{svg}");
    }

    #[test]
    fn charts_are_svg_with_title_labels_and_legend() {
        let svg = chart().to_svg().unwrap();
        assert!(svg.starts_with("<svg width=\"720\" height=\"440\""));
        for text in [
            "Migration time against memory in use",
            "memory in use (MiB)",
            "migration time (s)",
            "qemu-kvm-0.12, 100 Mbit/s",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        assert_eq!(svg.matches("<circle").count(), 3);
    }

    #[test]
    fn same_data_same_bytes() {
        assert_eq!(chart().to_svg().unwrap(), chart().to_svg().unwrap());
    }
}
