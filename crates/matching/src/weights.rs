//! Component weights: defaults from configuration, overridable per request.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::components::ComponentName;

/// How much each component counts. The score is the weighted mean of the component values,
/// so only the ratios matter; a weight of 0 switches a component off.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    pub technology: f64,
    pub readiness: f64,
    pub country: f64,
    pub capacity: f64,
    pub text: f64,
    pub maturity: f64,
    pub accreditation: f64,
    pub equity: f64,
}

impl Default for Weights {
    /// The reasoning is in the README ("Matching"): technology first, then the practical
    /// questions a requester asks (can they do it in time, where are they, do they work at my
    /// readiness level), text relevance for what the vocabulary cannot say, and maturity and
    /// accreditation as tie-breakers. Equity is off unless the network turns it on.
    fn default() -> Self {
        Weights {
            technology: 0.30,
            readiness: 0.12,
            country: 0.15,
            capacity: 0.15,
            text: 0.18,
            maturity: 0.05,
            accreditation: 0.05,
            equity: 0.0,
        }
    }
}

impl Weights {
    /// The weight of a component.
    pub fn get(&self, component: ComponentName) -> f64 {
        *self.of(component)
    }

    fn of(&self, component: ComponentName) -> &f64 {
        use ComponentName as C;
        match component {
            C::Technology => &self.technology,
            C::Readiness => &self.readiness,
            C::Country => &self.country,
            C::Capacity => &self.capacity,
            C::Text => &self.text,
            C::Maturity => &self.maturity,
            C::Accreditation => &self.accreditation,
            C::Equity => &self.equity,
        }
    }

    fn slot(&mut self, component: ComponentName) -> &mut f64 {
        use ComponentName as C;
        match component {
            C::Technology => &mut self.technology,
            C::Readiness => &mut self.readiness,
            C::Country => &mut self.country,
            C::Capacity => &mut self.capacity,
            C::Text => &mut self.text,
            C::Maturity => &mut self.maturity,
            C::Accreditation => &mut self.accreditation,
            C::Equity => &mut self.equity,
        }
    }

    /// The sum of the weights, in the order of [`ComponentName::ALL`].
    pub fn total(&self) -> f64 {
        ComponentName::ALL.iter().map(|&c| self.get(c)).sum()
    }

    /// Apply `name:value` pairs separated by commas (`technology:0.5,text:0`).
    pub fn apply_overrides(&mut self, spec: &str) -> Result<(), String> {
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once(':').ok_or_else(|| format!("'{part}' is not name:value"))?;
            let value: f64 = value.trim().parse().map_err(|_| format!("'{value}' is not a number"))?;
            if !(0.0..=100.0).contains(&value) || !value.is_finite() {
                return Err(format!("weight {name} is {value}; weights are 0 to 100"));
            }
            let component = ComponentName::parse(name.trim()).ok_or_else(|| {
                let names: Vec<&str> = ComponentName::ALL.iter().map(|c| c.as_str()).collect();
                format!("'{name}' is not a component; use {}", names.join(", "))
            })?;
            *self.slot(component) = value;
        }
        if self.total() <= 0.0 {
            return Err("at least one weight must be above 0".into());
        }
        Ok(())
    }

    /// Check weights read from configuration.
    pub fn validate(&self) -> Result<(), String> {
        for &n in ComponentName::ALL {
            let w = self.get(n);
            if !(0.0..=100.0).contains(&w) || !w.is_finite() {
                return Err(format!("weight {n} is {w}; weights are 0 to 100"));
            }
        }
        if self.total() <= 0.0 {
            return Err("at least one weight must be above 0".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides() {
        let mut w = Weights::default();
        w.apply_overrides("technology:0.5, text:0").unwrap();
        assert_eq!((w.technology, w.text), (0.5, 0.0));
        assert!(w.apply_overrides("colour:1").unwrap_err().contains("not a component"));
        assert!(w.apply_overrides("text:-1").is_err());
        assert!(w.apply_overrides("text").is_err());
        let mut zero = Weights::default();
        let all_zero = ComponentName::ALL.iter().map(|n| format!("{n}:0")).collect::<Vec<_>>().join(",");
        assert!(zero.apply_overrides(&all_zero).is_err());
    }
}
