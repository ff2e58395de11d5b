//! Learned decisions: spam moderation, intent triage and conversion
//! scoring. Text and table columns become hashed sparse features
//! ([`features`]); naive Bayes and logistic regression are fitted
//! deterministically ([`naive_bayes`], [`logistic`]) into one linear shape
//! ([`linear`]) for text, boosted trees are grown for tables ([`boosting`]);
//! they are calibrated ([`calibrate`]), chosen by cross-validation on the
//! training rows ([`train`]) and saved with their version ([`model`]).
//! [`dataset`] reads labelled tables and [`evaluate`] measures a model with
//! [`metrics`], on the [`public_data`] sets among others. In the pipeline,
//! [`inputs`] gives the rows an inquiry offers each model, [`combine`] sets
//! the models' word beside the rules', and [`retrain`] trains a new version
//! on what the database has learned and lets it in only if it is not worse.

pub mod boosting;
pub mod calibrate;
pub mod combine;
pub mod dataset;
pub mod evaluate;
pub mod features;
pub mod inputs;
pub mod linear;
pub mod logistic;
pub mod metrics;
pub mod model;
pub mod naive_bayes;
pub mod public_data;
pub mod retrain;
pub mod sparse;
pub mod train;
