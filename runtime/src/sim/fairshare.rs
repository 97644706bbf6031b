//! Max-min fair sharing of links among flows, the way competing TCP flows settle on a
//! shared path: every flow gets an equal share of its bottleneck, and what a capped or
//! elsewhere-bottlenecked flow leaves unused goes to the others (progressive filling).

/// A flow's path (indices into the link capacities) and its own rate cap (bytes/s;
/// `f64::INFINITY` for none).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowDemand {
    pub path: Vec<usize>,
    pub cap: f64,
}

/// The max-min fair rate of each flow, in the order given. A flow with an empty path is
/// limited by its cap alone.
pub fn max_min_shares(capacities: &[f64], flows: &[FlowDemand]) -> Vec<f64> {
    let mut rate = vec![0.0_f64; flows.len()];
    let mut frozen: Vec<bool> = flows.iter().map(|f| f.cap <= 0.0).collect();
    let mut spare: Vec<f64> = capacities.to_vec();
    loop {
        let mut users = vec![0_usize; capacities.len()];
        for (flow, _) in flows.iter().zip(&frozen).filter(|(_, f)| !**f) {
            for &link in &flow.path {
                users[link] += 1;
            }
        }
        // The largest equal increment every unfrozen flow can take.
        let by_links = users
            .iter()
            .zip(&spare)
            .filter(|(n, _)| **n > 0)
            .map(|(n, s)| s / *n as f64);
        let by_caps = flows
            .iter()
            .zip(&rate)
            .zip(&frozen)
            .filter(|(_, f)| !**f)
            .map(|((flow, r), _)| flow.cap - r);
        let Some(step) = by_links.chain(by_caps).reduce(f64::min) else {
            return rate;
        };
        if !step.is_finite() {
            // Only uncapped flows on no link are left: nothing limits them.
            for (r, f) in rate.iter_mut().zip(&frozen) {
                if !*f {
                    *r = f64::INFINITY;
                }
            }
            return rate;
        }
        for (i, flow) in flows.iter().enumerate() {
            if !frozen[i] {
                rate[i] += step;
                for &link in &flow.path {
                    spare[link] -= step;
                }
            }
        }
        let saturated: Vec<bool> = spare
            .iter()
            .zip(capacities)
            .map(|(s, c)| c.is_finite() && *s <= c * 1e-12)
            .collect();
        for (i, flow) in flows.iter().enumerate() {
            if !frozen[i]
                && (rate[i] >= flow.cap * (1.0 - 1e-12) || flow.path.iter().any(|&l| saturated[l]))
            {
                frozen[i] = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(path: &[usize], cap: f64) -> FlowDemand {
        FlowDemand {
            path: path.to_vec(),
            cap,
        }
    }

    #[test]
    fn equal_flows_split_a_link_equally() {
        let shares = max_min_shares(
            &[100.0],
            &[flow(&[0], f64::INFINITY), flow(&[0], f64::INFINITY)],
        );
        assert_eq!(shares, [50.0, 50.0]);
    }

    #[test]
    fn a_capped_flow_leaves_the_rest_to_others() {
        let shares = max_min_shares(&[100.0], &[flow(&[0], 20.0), flow(&[0], f64::INFINITY)]);
        assert_eq!(shares, [20.0, 80.0]);
    }

    #[test]
    fn the_bottleneck_decides_across_links() {
        // Flow 0 crosses a fast and a slow link; flow 1 only the fast one.
        let shares = max_min_shares(
            &[1000.0, 10.0],
            &[flow(&[0, 1], f64::INFINITY), flow(&[0], f64::INFINITY)],
        );
        assert_eq!(shares, [10.0, 990.0]);
    }

    #[test]
    fn the_classic_parking_lot() {
        // Links A and B of 1 each; a long flow over both and a short flow on each.
        let shares = max_min_shares(
            &[1.0, 1.0],
            &[
                flow(&[0, 1], f64::INFINITY),
                flow(&[0], f64::INFINITY),
                flow(&[1], f64::INFINITY),
            ],
        );
        assert_eq!(shares, [0.5, 0.5, 0.5]);
    }

    #[test]
    fn no_flows_and_pathless_flows() {
        assert!(max_min_shares(&[5.0], &[]).is_empty());
        assert_eq!(max_min_shares(&[], &[flow(&[], 7.0)]), [7.0]);
        assert_eq!(
            max_min_shares(&[], &[flow(&[], f64::INFINITY)]),
            [f64::INFINITY]
        );
        assert_eq!(max_min_shares(&[5.0], &[flow(&[0], 0.0)]), [0.0]);
    }
}
