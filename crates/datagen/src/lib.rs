//! Deterministic synthetic data: large sets of platforms and needs in exactly the JSON format of
//! `fixtures/demo/platforms.json` and `fixtures/demo/needs.json`, for load tests, benchmarks and
//! demos at scale.
//!
//! The data aim to look like the real thing rather than like noise: technology popularity is
//! skewed (Zipf-like, with targeted panels, exomes, genomes and RNA-seq on top), countries are
//! weighted by population, descriptions are composed from sentence templates modelled on how
//! facilities and clinicians actually describe themselves, and capacities, turnaround times,
//! accreditations, sample types and data standards follow the technology family. Every
//! vocabulary value is a canonical id of the given vocabularies, so every record validates.
//!
//! The same seed always gives the same records; platforms and needs draw from separate streams,
//! so the first `n` platforms of a seed do not depend on how many needs are asked for (and the
//! other way round).
//!
//! This crate is a tool, not part of the service: the `omics-datagen` binary writes the files,
//! and the benchmarks call [`generate`] directly. Sampling by weight is rand's `WeightedIndex`,
//! host names are folded to ASCII by `deunicode`.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use omics_domain::{Vocabularies, Vocabulary};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// `platforms` platforms and `needs` needs, the same for the same seed.
pub fn generate(vocabs: &Vocabularies, platforms: usize, needs: usize, seed: u64) -> (Vec<Value>, Vec<Value>) {
    let Some(cat) = Catalog::new(vocabs) else {
        return (Vec::new(), Vec::new());
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let p = (0..platforms).map(|i| cat.platform(&mut rng, seed, i)).collect();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15);
    let n = (0..needs).map(|i| cat.need(&mut rng, seed, i)).collect();
    (p, n)
}

/// [`generate`], with every vocabulary value written as people type it (see [`free_text`]).
pub fn generate_free_text(vocabs: &Vocabularies, platforms: usize, needs: usize, seed: u64) -> (Vec<Value>, Vec<Value>) {
    let (mut p, mut n) = generate(vocabs, platforms, needs, seed);
    free_text(vocabs, &mut p, &mut n, seed);
    (p, n)
}

// ---------------------------------------------------------------------------------------------
// Free text: vocabulary values as people type them, for benchmarking the term linker.
// ---------------------------------------------------------------------------------------------

/// Share of platforms and of needs given one value the term linker cannot read.
pub const FREE_TEXT_UNREADABLE: f64 = 0.2;

/// Technologies as typed that no technology term reads with confidence.
const UNREADABLE_TECHNOLOGIES: [&str; 8] = [
    "Ribo-seq (NovaSeq 6000)",
    "quantum sequencing",
    "NovaSeq 6000",
    "mass spec",
    "omics profiling",
    "sequencing (Illumina)",
    "Western blot (ECL)",
    "in-house assay",
];

/// Sample types as typed that no sample-type term reads with confidence.
const UNREADABLE_SAMPLES: [&str; 4] = ["toenail clippings", "nail clippings", "semen", "samples"];

/// Library-preparation kits, by family, for qualifiers.
fn kits(family: Family) -> &'static [&'static str] {
    match family {
        Family::DnaSeq => &["Twist Exome 2.0", "Illumina DNA PCR-Free Prep", "KAPA HyperPrep", "SureSelect XT HS2"],
        Family::RnaSeq => &["Illumina Stranded mRNA Prep", "NEBNext Ultra II", "poly-A, stranded"],
        Family::Targeted => &["AmpliSeq for Illumina", "Oncomine Precision Assay"],
        Family::SingleCell => &["Chromium Next GEM 3' v3.1", "Chromium Flex"],
        _ => &[],
    }
}

/// Rewrite every vocabulary value of generated `platforms` and `needs` (technologies, sample
/// types, accreditations, readiness areas, countries) the way people type it: a label or
/// synonym of the term at random, sometimes with a qualifier in parentheses (an instrument or
/// kit, a depth such as `30x`), sometimes with a modifier (`germline`, `somatic`, `clinical`),
/// sometimes with one typo in a word of six letters or more; and give
/// [`FREE_TEXT_UNREADABLE`] of the platforms and of the needs one value the term linker cannot
/// read (an unknown technique, an instrument alone, a sample type not in the vocabulary), so
/// that part of them is refused on import. The same seed gives the same text.
pub fn free_text(vocabs: &Vocabularies, platforms: &mut [Value], needs: &mut [Value], seed: u64) {
    let Some(cat) = Catalog::new(vocabs) else { return };
    let typist = Typist { vocabs, cat: &cat };
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5EED_F4EE_7E47_0001);
    for p in platforms.iter_mut() {
        typist.platform(&mut rng, p);
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5EED_F4EE_7E47_0002);
    for n in needs.iter_mut() {
        typist.need(&mut rng, n);
    }
}

struct Typist<'a, 'v> {
    vocabs: &'v Vocabularies,
    cat: &'a Catalog<'v>,
}

impl Typist<'_, '_> {
    fn platform(&self, rng: &mut StdRng, p: &mut Value) {
        let v = self.vocabs;
        retype(p.get_mut("country"), |s| self.country(rng, s));
        for a in list(p.get_mut("readiness_areas")) {
            retype(Some(a), |s| name(rng, &v.readiness_areas, s, 0.05));
        }
        for cap in list(p.get_mut("capabilities")) {
            let instruments: Vec<String> =
                cap["instruments"].as_array().map_or_else(Vec::new, |a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect());
            retype(cap.get_mut("technology"), |s| self.technology(rng, s, &instruments));
            for x in list(cap.get_mut("sample_types")) {
                retype(Some(x), |s| name(rng, &v.sample_types, s, 0.05));
            }
            for x in list(cap.get_mut("accreditations")) {
                retype(Some(x), |s| name(rng, &v.accreditations, s, 0.03));
            }
        }
        if rng.random_bool(FREE_TEXT_UNREADABLE) {
            let caps = list(p.get_mut("capabilities"));
            let n = caps.len();
            if n > 0 {
                let cap = &mut caps[rng.random_range(0..n)];
                if rng.random_bool(0.6) {
                    cap["technology"] = UNREADABLE_TECHNOLOGIES.choose(rng).copied().unwrap_or("quantum sequencing").into();
                } else if let Some(samples) = cap.get_mut("sample_types").and_then(Value::as_array_mut) {
                    samples.push(UNREADABLE_SAMPLES.choose(rng).copied().unwrap_or("samples").into());
                }
            }
        }
    }

    fn need(&self, rng: &mut StdRng, n: &mut Value) {
        let v = self.vocabs;
        for t in list(n.get_mut("technologies")) {
            retype(t.get_mut("technology"), |s| self.technology(rng, s, &[]));
        }
        retype(n.get_mut("sample_type"), |s| name(rng, &v.sample_types, s, 0.05));
        retype(n.get_mut("readiness_area"), |s| name(rng, &v.readiness_areas, s, 0.05));
        retype(n.get_mut("country"), |s| self.country(rng, s));
        for c in list(n.get_mut("acceptable_countries")) {
            retype(Some(c), |s| if s == "ANY" { s.to_owned() } else { self.country(rng, s) });
        }
        retype(n.get_mut("accreditation_required"), |s| name(rng, &v.accreditations, s, 0.03));
        if rng.random_bool(FREE_TEXT_UNREADABLE) {
            if rng.random_bool(0.6) {
                let techs = list(n.get_mut("technologies"));
                if let Some(t) = techs.first_mut() {
                    t["technology"] = UNREADABLE_TECHNOLOGIES.choose(rng).copied().unwrap_or("quantum sequencing").into();
                }
            } else {
                n["sample_type"] = UNREADABLE_SAMPLES.choose(rng).copied().unwrap_or("samples").into();
            }
        }
    }

    /// A country by name most of the time, by its code or another name otherwise.
    fn country(&self, rng: &mut StdRng, id: &str) -> String {
        let Some(t) = self.vocabs.countries.get(id) else { return id.to_owned() };
        let typed = match rng.random_range(0..10) {
            0..=5 => t.label.clone(),
            6..=7 => t.id.clone(),
            _ => t.synonyms.choose(rng).unwrap_or(&t.label).clone(),
        };
        if rng.random_bool(0.03) { typo(rng, &typed) } else { typed }
    }

    /// A technology name, sometimes with a modifier, a qualifier in parentheses or a typo.
    fn technology(&self, rng: &mut StdRng, id: &str, instruments: &[String]) -> String {
        let tv = &self.vocabs.technologies;
        let mut typed = name(rng, tv, id, 0.08);
        let Some(tech) = self.cat.techs.iter().find(|t| t.id == id) else { return typed };
        let family = tech.family;
        if rng.random_bool(0.12) {
            let modifier = match family {
                Family::DnaSeq | Family::Targeted | Family::LongRead => ["germline", "somatic", "clinical"].choose(rng).copied(),
                Family::RnaSeq | Family::Cytogenomics | Family::LiquidBiopsy => Some("clinical"),
                _ => None,
            };
            if let Some(m) = modifier {
                typed = format!("{m} {typed}");
            }
        }
        if rng.random_bool(0.3) {
            let mut qualifiers: Vec<String> = instruments.iter().take(2).cloned().collect();
            qualifiers.extend(tech.instruments.iter().take(2).map(|s| (*s).to_owned()));
            qualifiers.extend(kits(family).iter().map(|s| (*s).to_owned()));
            if matches!(family, Family::DnaSeq | Family::LongRead) && tech.sequencer {
                qualifiers.extend(["30x", "60x/30x", "100x tumour, 30x normal"].map(str::to_owned));
            }
            if let Some(q) = qualifiers.choose(rng) {
                typed = format!("{typed} ({q})");
            }
        }
        typed
    }
}

/// The elements of a JSON array field (none when absent or not an array).
fn list(v: Option<&mut Value>) -> &mut [Value] {
    match v.and_then(Value::as_array_mut) {
        Some(a) => a.as_mut_slice(),
        None => &mut [],
    }
}

/// Replace a JSON string by what `f` makes of it.
fn retype(v: Option<&mut Value>, f: impl FnOnce(&str) -> String) {
    if let Some(v) = v
        && let Some(s) = v.as_str()
    {
        *v = Value::String(f(s));
    }
}

/// The label or a synonym of term `id` at random (the label half the time), with one typo
/// with probability `p_typo`.
fn name(rng: &mut StdRng, vocab: &Vocabulary, id: &str, p_typo: f64) -> String {
    let Some(t) = vocab.get(id) else { return id.to_owned() };
    let typed =
        if t.synonyms.is_empty() || rng.random_bool(0.5) { t.label.clone() } else { t.synonyms.choose(rng).unwrap_or(&t.label).clone() };
    if rng.random_bool(p_typo) { typo(rng, &typed) } else { typed }
}

/// One typo (a letter dropped, doubled, replaced or swapped with the next, never the first) in
/// a word of six ASCII letters or more, if `s` has one.
fn typo(rng: &mut StdRng, s: &str) -> String {
    // Runs of ASCII letters, as byte ranges (an ASCII byte is never part of a wider character).
    let bytes = s.as_bytes();
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, b) in bytes.iter().chain(std::iter::once(&b' ')).enumerate() {
        match (b.is_ascii_alphabetic(), start) {
            (true, None) => start = Some(i),
            (false, Some(a)) => {
                if i - a >= 6 {
                    words.push((a, i));
                }
                start = None;
            }
            _ => {}
        }
    }
    let Some(&(a, b)) = words.choose(rng) else { return s.to_owned() };
    let mut w: Vec<u8> = bytes[a..b].to_vec();
    let i = rng.random_range(1..w.len() - 1);
    match rng.random_range(0..4) {
        0 => {
            w.remove(i);
        }
        1 => w.insert(i, w[i]),
        2 => w[i] = if w[i] == b'e' { b'a' } else { b'e' },
        _ => w.swap(i, i + 1),
    }
    let mut out = String::with_capacity(s.len() + 1);
    out.push_str(&s[..a]);
    out.push_str(std::str::from_utf8(&w).unwrap_or(&s[a..b]));
    out.push_str(&s[b..]);
    out
}

// ---------------------------------------------------------------------------------------------
// Technology families: what each kind of technology takes, delivers and costs.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    DnaSeq,
    RnaSeq,
    LongRead,
    SingleCell,
    Spatial,
    Methylation,
    Chromatin,
    Proteomics,
    Metabolomics,
    LiquidBiopsy,
    Cytogenomics,
    Immune,
    Dpcr,
    Targeted,
    Bioinformatics,
    Other,
}

impl Family {
    /// The family of a technology: the nearest of itself and its ancestors that names one.
    fn of(vocab: &Vocabulary, id: &str) -> Family {
        for a in vocab.self_and_ancestors(id) {
            let f = match a {
                "digital-pcr" => Family::Dpcr,
                "dna-methylation-profiling" | "cfdna-methylation" => Family::Methylation,
                "single-cell-omics" => Family::SingleCell,
                "spatial-omics" => Family::Spatial,
                "long-read-sequencing" => Family::LongRead,
                "dna-sequencing" => Family::DnaSeq,
                "rna-sequencing" => Family::RnaSeq,
                "epigenomics" => Family::Chromatin,
                "proteomics" => Family::Proteomics,
                "metabolomics" => Family::Metabolomics,
                "liquid-biopsy" => Family::LiquidBiopsy,
                "cytogenomics" => Family::Cytogenomics,
                "immune-profiling" => Family::Immune,
                "targeted-assays" => Family::Targeted,
                "bioinformatics-analysis" => Family::Bioinformatics,
                _ => continue,
            };
            return f;
        }
        Family::Other
    }

    /// Samples per month, low and high.
    fn capacity(self) -> (f64, f64) {
        match self {
            Family::DnaSeq | Family::RnaSeq => (20.0, 800.0),
            Family::LongRead => (10.0, 150.0),
            Family::SingleCell => (5.0, 60.0),
            Family::Spatial => (4.0, 40.0),
            Family::Methylation => (40.0, 500.0),
            Family::Chromatin => (10.0, 100.0),
            Family::Proteomics => (50.0, 600.0),
            Family::Metabolomics => (50.0, 800.0),
            Family::LiquidBiopsy => (30.0, 500.0),
            Family::Cytogenomics => (20.0, 300.0),
            Family::Immune => (20.0, 400.0),
            Family::Dpcr => (200.0, 2000.0),
            Family::Targeted => (50.0, 1500.0),
            Family::Bioinformatics => (10.0, 300.0),
            Family::Other => (10.0, 200.0),
        }
    }

    /// Days from receipt to results, low and high.
    fn turnaround(self) -> (u32, u32) {
        match self {
            Family::DnaSeq | Family::RnaSeq => (10, 42),
            Family::LongRead => (14, 42),
            Family::SingleCell => (21, 56),
            Family::Spatial => (28, 70),
            Family::Methylation => (10, 28),
            Family::Chromatin => (21, 56),
            Family::Proteomics => (21, 56),
            Family::Metabolomics => (14, 42),
            Family::LiquidBiopsy => (5, 21),
            Family::Cytogenomics => (7, 28),
            Family::Immune => (3, 28),
            Family::Dpcr => (2, 10),
            Family::Targeted => (3, 14),
            Family::Bioinformatics => (7, 42),
            Family::Other => (14, 42),
        }
    }

    /// Probability that a platform led by this family is a routine-care (diagnostic) lab.
    fn p_clinical(self) -> f64 {
        match self {
            Family::DnaSeq | Family::LiquidBiopsy => 0.45,
            Family::RnaSeq | Family::Other => 0.2,
            Family::LongRead => 0.1,
            Family::SingleCell | Family::Spatial => 0.05,
            Family::Methylation | Family::Immune => 0.35,
            Family::Chromatin => 0.02,
            Family::Proteomics | Family::Metabolomics => 0.08,
            Family::Cytogenomics | Family::Targeted => 0.7,
            Family::Dpcr => 0.5,
            Family::Bioinformatics => 0.15,
        }
    }

    /// Technologies that are still mostly research and discovery.
    fn emerging(self) -> bool {
        matches!(self, Family::SingleCell | Family::Spatial | Family::LongRead | Family::Chromatin)
    }

    /// Cost per sample in euro, low and high (for need budgets).
    fn cost(self) -> (f64, f64) {
        match self {
            Family::DnaSeq => (250.0, 1500.0),
            Family::RnaSeq => (200.0, 700.0),
            Family::LongRead => (800.0, 2500.0),
            Family::SingleCell => (1500.0, 4000.0),
            Family::Spatial => (2000.0, 6000.0),
            Family::Methylation => (250.0, 700.0),
            Family::Chromatin => (400.0, 1200.0),
            Family::Proteomics => (150.0, 700.0),
            Family::Metabolomics => (80.0, 350.0),
            Family::LiquidBiopsy => (300.0, 1500.0),
            Family::Cytogenomics => (200.0, 1200.0),
            Family::Immune => (150.0, 700.0),
            Family::Dpcr => (40.0, 150.0),
            Family::Targeted => (60.0, 350.0),
            Family::Bioinformatics => (50.0, 300.0),
            Family::Other => (200.0, 800.0),
        }
    }

    fn sample_types(self) -> &'static [&'static str] {
        match self {
            Family::DnaSeq => &[
                "ffpe-tissue",
                "fresh-frozen-tissue",
                "extracted-dna",
                "whole-blood",
                "core-needle-biopsy",
                "bone-marrow",
                "fine-needle-aspirate",
            ],
            Family::RnaSeq => &["fresh-frozen-tissue", "extracted-rna", "ffpe-tissue", "cell-lines", "organoids", "sorted-cells", "pdx"],
            Family::LongRead => &["extracted-dna", "fresh-frozen-tissue", "whole-blood", "cell-lines", "bone-marrow"],
            Family::SingleCell => &[
                "single-cell-suspension",
                "nuclei-suspension",
                "fresh-tissue",
                "pbmc",
                "sorted-cells",
                "fresh-frozen-tissue",
                "bone-marrow",
            ],
            Family::Spatial => &["ffpe-tissue", "fresh-frozen-tissue", "core-needle-biopsy"],
            Family::Methylation => &["ffpe-tissue", "extracted-dna", "fresh-frozen-tissue", "whole-blood", "plasma"],
            Family::Chromatin => &["cell-lines", "fresh-frozen-tissue", "nuclei-suspension", "organoids", "sorted-cells"],
            Family::Proteomics => &["plasma", "serum", "ffpe-tissue", "fresh-frozen-tissue", "protein-extract", "cell-lines", "organoids"],
            Family::Metabolomics => &["plasma", "serum", "urine", "fresh-frozen-tissue", "cell-lines", "organoids", "stool"],
            Family::LiquidBiopsy => &["plasma", "cfdna", "whole-blood", "urine", "csf"],
            Family::Cytogenomics => &["bone-marrow", "whole-blood", "extracted-dna", "ffpe-tissue", "fresh-tissue"],
            Family::Immune => &["whole-blood", "pbmc", "bone-marrow", "sorted-cells", "single-cell-suspension"],
            Family::Dpcr => &["plasma", "cfdna", "extracted-dna", "ffpe-tissue", "bone-marrow"],
            Family::Targeted => &["ffpe-tissue", "extracted-dna", "extracted-rna", "whole-blood", "plasma"],
            Family::Bioinformatics => &["extracted-dna", "ffpe-tissue", "fresh-frozen-tissue", "sequencing-library"],
            Family::Other => &["ffpe-tissue", "fresh-frozen-tissue", "extracted-dna", "plasma"],
        }
    }

    fn data_standards(self) -> &'static [&'static str] {
        match self {
            Family::DnaSeq => &["fastq", "bam-cram", "vcf", "bed", "maf", "fhir-genomics", "phenopackets", "beacon", "crypt4gh", "htsget"],
            Family::RnaSeq => &["fastq", "bam-cram", "mage-tab", "isa-tab", "vcf"],
            Family::LongRead => &["fastq", "bam-cram", "vcf", "bed"],
            Family::SingleCell => &["fastq", "anndata", "loom", "bam-cram"],
            Family::Spatial => &["spatialdata", "ome-tiff", "ome-zarr", "anndata", "fastq"],
            Family::Methylation => &["idat", "fastq", "bam-cram", "bed"],
            Family::Chromatin => &["fastq", "bam-cram", "bed"],
            Family::Proteomics => &["mzml", "mztab", "mzidentml", "sdrf-proteomics", "proxi"],
            Family::Metabolomics => &["mzml", "mztab", "isa-tab"],
            Family::LiquidBiopsy => &["fastq", "bam-cram", "vcf", "fhir-genomics"],
            Family::Cytogenomics => &["vcf", "bed", "idat", "dicom-wsi"],
            Family::Immune => &["fastq", "anndata", "isa-tab"],
            Family::Dpcr => &["fhir-genomics", "isa-tab", "vcf"],
            Family::Targeted => &["vcf", "fhir-genomics", "bed", "fastq"],
            Family::Bioinformatics => &["vcf", "bam-cram", "maf", "anndata", "crypt4gh", "beacon", "phenopackets"],
            Family::Other => &["fastq", "vcf"],
        }
    }

    /// Names research platforms of this family give themselves.
    fn unit_names(self) -> &'static [&'static str] {
        match self {
            Family::DnaSeq => &[
                "Genomics Core Facility",
                "Next-Generation Sequencing Platform",
                "Sequencing Core",
                "Genome Technology Centre",
                "High-Throughput Sequencing Unit",
                "Cancer Genomics Laboratory",
            ],
            Family::RnaSeq => {
                &["Transcriptomics Core", "Functional Genomics Platform", "RNA Sequencing Facility", "Genomics Core Facility"]
            }
            Family::LongRead => &["Long-Read Sequencing Platform", "Third-Generation Sequencing Unit", "Genome Technology Centre"],
            Family::SingleCell => &[
                "Single-Cell Genomics Core",
                "Single-Cell Omics Platform",
                "Single-Cell Analysis Unit",
                "Single Cell & Spatial Omics Core",
            ],
            Family::Spatial => &[
                "Spatial Biology Facility",
                "Spatial Omics Core",
                "Tissue Imaging and Spatial Profiling Unit",
                "Single Cell & Spatial Omics Core",
            ],
            Family::Methylation => &["Epigenomics Core", "Methylation Analysis Unit", "Cancer Epigenetics Laboratory"],
            Family::Chromatin => &["Epigenomics Core", "Chromatin Biology Platform", "Cancer Epigenetics Laboratory"],
            Family::Proteomics => {
                &["Proteomics Core Facility", "Clinical Proteomics Platform", "Mass Spectrometry Unit", "Protein Analysis Facility"]
            }
            Family::Metabolomics => &["Metabolomics & Lipidomics Core", "Metabolomics Facility", "Mass Spectrometry and Metabolomics Unit"],
            Family::LiquidBiopsy => &["Liquid Biopsy Laboratory", "Circulating Biomarkers Unit", "Liquid Biopsy Research Laboratory"],
            Family::Cytogenomics => &["Cytogenetics Laboratory", "Cancer Cytogenomics Unit", "Onco-Haematology Cytogenetics Laboratory"],
            Family::Immune => &["Immune Monitoring Core", "Flow and Mass Cytometry Facility", "Immunogenomics Laboratory"],
            Family::Dpcr | Family::Targeted => &["Molecular Biology Laboratory", "Molecular Oncology Laboratory", "Biomarker Laboratory"],
            Family::Bioinformatics => &["Bioinformatics Core", "Computational Oncology Unit", "Data Science Platform"],
            Family::Other => &["Technology Platform", "Core Facility"],
        }
    }

    /// Local part of a contact address.
    fn mailbox(self) -> &'static str {
        match self {
            Family::DnaSeq | Family::RnaSeq => "genomics",
            Family::LongRead => "longread",
            Family::SingleCell => "singlecell",
            Family::Spatial => "spatial",
            Family::Methylation | Family::Chromatin => "epigenomics",
            Family::Proteomics => "proteomics",
            Family::Metabolomics => "metabolomics",
            Family::LiquidBiopsy => "liquidbiopsy",
            Family::Cytogenomics => "cytogenetics",
            Family::Immune => "immunemonitoring",
            Family::Dpcr | Family::Targeted => "molbio",
            Family::Bioinformatics => "bioinformatics",
            Family::Other => "core",
        }
    }

    /// Where data of this family are usually deposited.
    fn repository(self) -> &'static str {
        match self {
            Family::Proteomics => "PRIDE",
            Family::Metabolomics => "MetaboLights",
            Family::RnaSeq | Family::SingleCell | Family::Chromatin => "ArrayExpress",
            Family::Spatial => "BioImage Archive",
            _ => "the EGA",
        }
    }

    /// Earliest plausible year a facility started offering this.
    fn since(self) -> u32 {
        match self {
            Family::SingleCell => 2016,
            Family::Spatial => 2019,
            Family::LongRead => 2015,
            Family::LiquidBiopsy | Family::Dpcr => 2012,
            Family::Proteomics | Family::Metabolomics | Family::Cytogenomics => 1998,
            _ => 2008,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hard-coded realism tables.
// ---------------------------------------------------------------------------------------------

/// Most popular technologies first; the rest of the leaves follow in vocabulary order.
const POPULAR: [&str; 40] = [
    "targeted-gene-panel-sequencing",
    "whole-exome-sequencing",
    "whole-genome-sequencing",
    "mrna-sequencing",
    "single-cell-rna-sequencing",
    "comprehensive-genomic-profiling",
    "ctdna-analysis",
    "digital-pcr",
    "methylation-array",
    "hereditary-cancer-panel",
    "rna-fusion-panel",
    "dia-ms",
    "visium",
    "multiplex-immunofluorescence",
    "untargeted-metabolomics",
    "high-parameter-flow-cytometry",
    "qpcr-assays",
    "low-pass-whole-genome-sequencing",
    "total-rna-sequencing",
    "nanopore-sequencing",
    "xenium",
    "msi-testing",
    "fish",
    "snp-array",
    "optical-genome-mapping",
    "single-nucleus-rna-sequencing",
    "tmt-proteomics",
    "olink",
    "cite-seq",
    "ctdna-mrd",
    "geomx-dsp",
    "variant-calling",
    "pacbio-hifi-sequencing",
    "sanger-sequencing",
    "lipidomics",
    "hrd-testing",
    "fixed-rna-profiling",
    "targeted-metabolomics",
    "atac-seq",
    "whole-genome-bisulfite-sequencing",
];

/// Zipf exponent of technology popularity.
const ZIPF_S: f64 = 1.0;

/// Approximate population in millions (2024) of the EU/EEA/CH/associated countries.
const POPULATION: [(&str, f64); 39] = [
    ("DE", 84.5),
    ("FR", 68.4),
    ("GB", 68.3),
    ("IT", 59.0),
    ("ES", 48.6),
    ("PL", 36.6),
    ("UA", 33.0),
    ("RO", 19.0),
    ("NL", 17.9),
    ("BE", 11.8),
    ("CZ", 10.9),
    ("SE", 10.6),
    ("PT", 10.6),
    ("GR", 10.4),
    ("HU", 9.6),
    ("AT", 9.2),
    ("CH", 8.9),
    ("RS", 6.6),
    ("BG", 6.4),
    ("DK", 6.0),
    ("FI", 5.6),
    ("NO", 5.5),
    ("SK", 5.4),
    ("IE", 5.3),
    ("HR", 3.9),
    ("BA", 3.2),
    ("LT", 2.9),
    ("MD", 2.4),
    ("AL", 2.4),
    ("SI", 2.1),
    ("LV", 1.9),
    ("MK", 1.8),
    ("EE", 1.4),
    ("CY", 0.93),
    ("LU", 0.67),
    ("ME", 0.62),
    ("MT", 0.56),
    ("IS", 0.39),
    ("LI", 0.04),
];

/// Cities with university hospitals or cancer centres, per country.
fn cities(country: &str) -> &'static [&'static str] {
    match country {
        "AT" => &["Vienna", "Graz", "Innsbruck", "Linz", "Salzburg"],
        "BE" => &["Brussels", "Leuven", "Ghent", "Antwerp", "Liège"],
        "BG" => &["Sofia", "Plovdiv", "Varna"],
        "HR" => &["Zagreb", "Split", "Rijeka", "Osijek"],
        "CY" => &["Nicosia", "Limassol"],
        "CZ" => &["Prague", "Brno", "Olomouc", "Hradec Králové", "Plzeň"],
        "DK" => &["Copenhagen", "Aarhus", "Odense", "Aalborg"],
        "EE" => &["Tallinn", "Tartu"],
        "FI" => &["Helsinki", "Turku", "Tampere", "Oulu", "Kuopio"],
        "FR" => &["Paris", "Lyon", "Marseille", "Toulouse", "Bordeaux", "Lille", "Strasbourg", "Nantes", "Montpellier", "Villejuif"],
        "DE" => &[
            "Berlin",
            "Heidelberg",
            "Munich",
            "Hamburg",
            "Cologne",
            "Frankfurt",
            "Dresden",
            "Freiburg",
            "Tübingen",
            "Essen",
            "Leipzig",
            "Mainz",
        ],
        "GR" => &["Athens", "Thessaloniki", "Heraklion", "Patras"],
        "HU" => &["Budapest", "Debrecen", "Szeged", "Pécs"],
        "IE" => &["Dublin", "Cork", "Galway"],
        "IT" => &["Rome", "Milan", "Naples", "Turin", "Bologna", "Padua", "Florence", "Genoa", "Aviano", "Candiolo"],
        "LV" => &["Riga"],
        "LT" => &["Vilnius", "Kaunas"],
        "LU" => &["Luxembourg", "Esch-sur-Alzette"],
        "MT" => &["Msida", "Valletta"],
        "NL" => &["Amsterdam", "Utrecht", "Rotterdam", "Leiden", "Nijmegen", "Groningen", "Maastricht"],
        "PL" => &["Warsaw", "Kraków", "Gdańsk", "Poznań", "Wrocław", "Łódź", "Gliwice"],
        "PT" => &["Lisbon", "Porto", "Coimbra", "Braga"],
        "RO" => &["Bucharest", "Cluj-Napoca", "Iași", "Timișoara"],
        "SK" => &["Bratislava", "Košice", "Martin"],
        "SI" => &["Ljubljana", "Maribor"],
        "ES" => &["Madrid", "Barcelona", "Valencia", "Seville", "Salamanca", "Santander", "Pamplona", "Málaga"],
        "SE" => &["Stockholm", "Gothenburg", "Uppsala", "Lund", "Umeå", "Linköping"],
        "IS" => &["Reykjavík"],
        "LI" => &["Vaduz"],
        "NO" => &["Oslo", "Bergen", "Trondheim", "Tromsø"],
        "CH" => &["Bern", "Zurich", "Basel", "Geneva", "Lausanne", "Bellinzona"],
        "UA" => &["Kyiv", "Lviv", "Kharkiv", "Odesa"],
        "MD" => &["Chișinău"],
        "RS" => &["Belgrade", "Novi Sad", "Niš", "Kragujevac"],
        "BA" => &["Sarajevo", "Banja Luka", "Tuzla"],
        "ME" => &["Podgorica"],
        "MK" => &["Skopje"],
        "AL" => &["Tirana"],
        "GB" => &[
            "London",
            "Cambridge",
            "Oxford",
            "Manchester",
            "Edinburgh",
            "Glasgow",
            "Birmingham",
            "Leeds",
            "Newcastle",
            "Cardiff",
            "Belfast",
            "Sutton",
        ],
        _ => &[],
    }
}

/// Common OncoTree codes, how people write them in a sentence, and a rough incidence weight.
const CANCERS: [(&str, &str, f64); 33] = [
    ("BRCA", "breast cancer", 14.0),
    ("IDC", "invasive ductal breast carcinoma", 3.0),
    ("LUAD", "lung adenocarcinoma", 9.0),
    ("LUSC", "squamous cell lung cancer", 4.0),
    ("NSCLC", "non-small cell lung cancer", 5.0),
    ("SCLC", "small cell lung cancer", 2.0),
    ("COADREAD", "colorectal cancer", 10.0),
    ("COAD", "colon adenocarcinoma", 3.0),
    ("READ", "rectal cancer", 2.0),
    ("PRAD", "prostate cancer", 10.0),
    ("PAAD", "pancreatic cancer", 4.0),
    ("HGSOC", "high-grade serous ovarian cancer", 3.0),
    ("SKCM", "melanoma", 4.0),
    ("GB", "glioblastoma", 2.0),
    ("AML", "acute myeloid leukaemia", 3.0),
    ("CLLSLL", "chronic lymphocytic leukaemia", 2.0),
    ("DLBCLNOS", "diffuse large B-cell lymphoma", 2.0),
    ("PCM", "multiple myeloma", 2.0),
    ("BLCA", "bladder cancer", 3.0),
    ("CCRCC", "clear cell renal cell carcinoma", 3.0),
    ("HCC", "hepatocellular carcinoma", 2.0),
    ("STAD", "gastric adenocarcinoma", 2.0),
    ("HNSC", "head and neck squamous cell carcinoma", 3.0),
    ("UEC", "endometrial cancer", 3.0),
    ("THPA", "papillary thyroid cancer", 2.0),
    ("NBL", "neuroblastoma", 1.0),
    ("MDS", "myelodysplastic syndromes", 2.0),
    ("GIST", "gastrointestinal stromal tumours", 1.0),
    ("PLMESO", "pleural mesothelioma", 1.0),
    ("ES", "Ewing sarcoma", 1.0),
    ("BLL", "B-lymphoblastic leukaemia", 1.0),
    ("OS", "osteosarcoma", 1.0),
    ("MBL", "medulloblastoma", 1.0),
];

/// Phrase used where a need names no cancer type.
const ANY_CANCER: &str = "solid tumour";

/// Haematological malignancies among `CANCERS`: their samples are blood and bone marrow.
const HAEMATOLOGICAL: [&str; 5] = ["AML", "CLLSLL", "PCM", "MDS", "BLL"];

/// Sample types that suit a haematological malignancy.
const BLOOD_SAMPLES: [&str; 12] = [
    "bone-marrow",
    "whole-blood",
    "pbmc",
    "plasma",
    "serum",
    "buffy-coat",
    "cfdna",
    "extracted-dna",
    "extracted-rna",
    "single-cell-suspension",
    "sorted-cells",
    "nuclei-suspension",
];

/// Production-scale sequencers, for genomes, exomes and transcriptomes.
const BIG_SEQUENCERS: [&str; 7] = [
    "Illumina NovaSeq X Plus",
    "Illumina NovaSeq 6000",
    "Illumina NovaSeq 6000Dx",
    "Illumina NextSeq 2000",
    "MGI DNBSEQ-T7",
    "Element AVITI",
    "Ultima UG 100",
];

/// Benchtop sequencers, for panels.
const BENCHTOP_SEQUENCERS: [&str; 6] = [
    "Illumina NextSeq 550Dx",
    "Illumina MiSeq",
    "Illumina MiSeqDx",
    "Illumina NextSeq 2000",
    "Ion Torrent Genexus",
    "Ion GeneStudio S5 Prime",
];

const SEQUENCERS: [&str; 12] = [
    "Illumina NovaSeq X Plus",
    "Illumina NovaSeq 6000",
    "Illumina NextSeq 2000",
    "Illumina NextSeq 550Dx",
    "Illumina MiSeq",
    "Illumina NovaSeq 6000Dx",
    "MGI DNBSEQ-G400",
    "MGI DNBSEQ-T7",
    "Element AVITI",
    "Ion Torrent Genexus",
    "Ion GeneStudio S5 Prime",
    "Ultima UG 100",
];

/// Instruments for a technology, most specific first.
fn instruments(id: &str, family: Family) -> &'static [&'static str] {
    match id {
        "sanger-sequencing" => &["Applied Biosystems SeqStudio Flex", "Applied Biosystems 3500xL Genetic Analyzer"],
        "whole-genome-sequencing" | "whole-exome-sequencing" | "mrna-sequencing" | "total-rna-sequencing" | "long-read-rna-sequencing" => {
            &BIG_SEQUENCERS
        }
        "targeted-gene-panel-sequencing"
        | "comprehensive-genomic-profiling"
        | "hereditary-cancer-panel"
        | "rna-fusion-panel"
        | "targeted-rna-sequencing"
        | "low-pass-whole-genome-sequencing"
        | "three-prime-mrna-sequencing"
        | "small-rna-sequencing" => &BENCHTOP_SEQUENCERS,
        "nanopore-sequencing" => &[
            "Oxford Nanopore PromethION 24",
            "Oxford Nanopore PromethION 2 Solo",
            "Oxford Nanopore GridION",
            "Oxford Nanopore MinION Mk1D",
        ],
        "pacbio-hifi-sequencing" => &["PacBio Revio", "PacBio Sequel IIe", "PacBio Vega"],
        "single-cell-dna-sequencing" => &["Mission Bio Tapestri"],
        "visium" | "visium-hd" => &["10x Genomics Visium CytAssist"],
        "xenium" => &["10x Genomics Xenium Analyzer"],
        "cosmx" => &["Bruker CosMx SMI"],
        "merfish" => &["Vizgen MERSCOPE Ultra", "Vizgen MERSCOPE"],
        "geomx-dsp" => &["NanoString GeoMx DSP"],
        "stereo-seq" => &["STOmics Stereo-seq", "MGI DNBSEQ-T7"],
        "codex-phenocycler" => &["Akoya PhenoCycler-Fusion"],
        "imaging-mass-cytometry" => &["Standard BioTools Hyperion XTi", "Fluidigm Hyperion Imaging System"],
        "mibi" => &["Ionpath MIBIscope"],
        "multiplex-immunofluorescence" => &["Akoya PhenoImager HT", "Leica BOND RX", "Lunaphore COMET", "Zeiss Axioscan 7"],
        "maldi-imaging" => &["Bruker timsTOF fleX MALDI-2", "Bruker rapifleX MALDI Tissuetyper"],
        "methylation-array" | "methylation-based-tumour-classification" => &["Illumina iScan", "Illumina iScan System with AutoLoader"],
        "targeted-methylation-analysis" => &["Qiagen PyroMark Q48 Autoprep", "Illumina MiSeq"],
        "targeted-proteomics" => &["SCIEX 7500 QTRAP", "Thermo TSQ Altis Plus"],
        "olink" => &["Olink Signature Q100", "Illumina NovaSeq 6000"],
        "somascan" => &["SomaLogic SomaScan Assay Kit on Tecan Freedom EVO"],
        "reverse-phase-protein-array" => &["Aushon 2470 Arrayer", "InnoScan 710 microarray scanner"],
        "nmr-metabolomics" => &["Bruker Avance Neo 600 MHz IVDr", "Bruker Avance III HD 600 MHz"],
        "targeted-metabolomics" => &["Waters Xevo TQ-XS", "SCIEX QTRAP 6500+"],
        "ctc-analysis" => &["Menarini CellSearch", "ANGLE Parsortix PC1", "Menarini DEPArray NxT"],
        "extracellular-vesicle-analysis" => &["Izon qEV Automatic Fraction Collector", "Malvern NanoSight NS300", "Illumina NextSeq 2000"],
        "optical-genome-mapping" => &["Bionano Saphyr", "Bionano Stratys"],
        "karyotyping" => &["MetaSystems Ikaros", "Leica CytoVision"],
        "fish" => &["MetaSystems Metafer", "Leica CytoVision", "Leica BOND-III"],
        "chromosomal-microarray" | "array-cgh" | "snp-array" => &["Illumina iScan", "Agilent SureScan Dx Microarray Scanner"],
        "mlpa" | "msi-testing" | "lymphoid-clonality-testing" => {
            &["Applied Biosystems 3500xL Genetic Analyzer", "Applied Biosystems SeqStudio Flex"]
        }
        "mass-cytometry" => &["Standard BioTools CyTOF XT", "Fluidigm Helios CyTOF"],
        "high-parameter-flow-cytometry" => &["Cytek Aurora 5L", "BD FACSymphony A5", "BD FACSLyric", "Beckman Coulter CytoFLEX LX"],
        "hla-typing" => &["Illumina MiSeq", "Oxford Nanopore GridION", "One Lambda LABScan 3D"],
        "qpcr-assays" => &["Thermo QuantStudio 7 Pro", "Roche LightCycler 480 II", "Bio-Rad CFX Opus 96", "Biocartis Idylla"],
        "nanostring-ncounter" | "gene-expression-signature" => {
            &["NanoString nCounter MAX", "NanoString nCounter SPRINT", "NanoString nCounter Dx"]
        }
        "pharmacogenomic-testing" => &["Thermo QuantStudio 12K Flex", "Agena MassARRAY"],
        _ => match family {
            Family::DnaSeq | Family::RnaSeq | Family::LiquidBiopsy => &SEQUENCERS,
            Family::LongRead => &["Oxford Nanopore PromethION 24", "PacBio Revio", "Oxford Nanopore GridION"],
            Family::SingleCell => &[
                "10x Genomics Chromium X",
                "10x Genomics Chromium iX",
                "10x Genomics Chromium Connect",
                "BD Rhapsody HT Xpress",
                "Parse Biosciences Evercode",
                "Scale Bio ScalePlex",
            ],
            Family::Spatial => &["10x Genomics Visium CytAssist", "10x Genomics Xenium Analyzer", "Akoya PhenoImager HT"],
            Family::Methylation | Family::Chromatin => {
                &["Covaris ME220", "Diagenode Bioruptor Pico", "Illumina NovaSeq 6000", "Illumina NextSeq 2000"]
            }
            Family::Proteomics => &[
                "Thermo Orbitrap Astral",
                "Thermo Orbitrap Exploris 480",
                "Thermo Orbitrap Eclipse Tribrid",
                "Bruker timsTOF Ultra 2",
                "Bruker timsTOF HT",
                "SCIEX ZenoTOF 7600",
                "Evosep One",
            ],
            Family::Metabolomics => &[
                "Thermo Orbitrap Exploris 240",
                "Thermo Q Exactive HF-X",
                "Agilent 6546 LC/Q-TOF",
                "Waters Xevo TQ-XS",
                "SCIEX QTRAP 6500+",
                "Agilent 8890 GC with 5977C MSD",
            ],
            Family::Cytogenomics => &["Bionano Saphyr", "Illumina iScan", "MetaSystems Metafer"],
            Family::Immune => &["Illumina MiSeq", "Illumina NextSeq 2000", "Cytek Aurora 5L"],
            Family::Dpcr => &[
                "Bio-Rad QX600 Droplet Digital PCR",
                "Bio-Rad QX200 AutoDG",
                "Qiagen QIAcuity Four",
                "Stilla Naica Prism6",
                "Thermo QuantStudio Absolute Q",
            ],
            Family::Targeted => &["Thermo QuantStudio 5 Dx", "Illumina MiSeqDx", "Biocartis Idylla"],
            Family::Bioinformatics => &["Illumina DRAGEN Server v4", "in-house HPC cluster (Slurm)", "NVIDIA Parabricks GPU nodes"],
            Family::Other => &["Illumina NextSeq 2000"],
        },
    }
}

/// Whether a technology's readout is a sequencing run (so a sequencer is often listed too).
fn reads_out_by_sequencing(id: &str, family: Family) -> bool {
    match family {
        Family::SingleCell => id != "single-cell-dna-sequencing",
        Family::Chromatin => true,
        Family::Methylation => {
            !matches!(id, "methylation-array" | "methylation-based-tumour-classification" | "targeted-methylation-analysis")
        }
        Family::Spatial => matches!(id, "visium" | "visium-hd" | "geomx-dsp"),
        Family::Immune => matches!(id, "immune-repertoire-sequencing" | "tcr-sequencing" | "bcr-sequencing"),
        _ => false,
    }
}

/// Sample types for a technology, most specific first.
fn sample_types(id: &str, family: Family) -> &'static [&'static str] {
    match id {
        "ctdna-analysis" | "ctdna-mrd" | "cfdna-analysis" | "cfdna-fragmentomics" | "cfdna-methylation" => &["plasma", "cfdna"],
        "ctc-analysis" => &["whole-blood", "ctc-enriched"],
        "extracellular-vesicle-analysis" | "cfrna-analysis" => &["plasma", "serum", "urine"],
        "hla-typing" | "pharmacogenomic-testing" => &["whole-blood", "saliva", "extracted-dna"],
        "optical-genome-mapping" => &["bone-marrow", "whole-blood", "cell-lines"],
        "karyotyping" => &["bone-marrow", "whole-blood", "fresh-tissue"],
        "hereditary-cancer-panel" => &["whole-blood", "saliva", "extracted-dna"],
        "methylation-array" | "methylation-based-tumour-classification" => &["ffpe-tissue", "fresh-frozen-tissue", "extracted-dna"],
        "visium"
        | "visium-hd"
        | "xenium"
        | "cosmx"
        | "geomx-dsp"
        | "codex-phenocycler"
        | "multiplex-immunofluorescence"
        | "imaging-mass-cytometry"
        | "mibi" => &["ffpe-tissue", "fresh-frozen-tissue", "core-needle-biopsy"],
        "merfish" | "stereo-seq" | "maldi-imaging" => &["fresh-frozen-tissue", "ffpe-tissue"],
        "fixed-rna-profiling" => &["ffpe-tissue", "single-cell-suspension", "sorted-cells"],
        "single-nucleus-rna-sequencing" | "single-nucleus-multiome" | "single-cell-atac-sequencing" => {
            &["nuclei-suspension", "fresh-frozen-tissue", "single-cell-suspension"]
        }
        "single-cell-immune-repertoire" | "cite-seq" => &["pbmc", "single-cell-suspension", "sorted-cells", "fresh-tissue"],
        "single-cell-dna-sequencing" => &["bone-marrow", "pbmc", "single-cell-suspension"],
        "olink" | "somascan" => &["plasma", "serum", "csf"],
        "immunopeptidomics" => &["fresh-frozen-tissue", "cell-lines", "organoids"],
        "mass-cytometry" | "high-parameter-flow-cytometry" => &["whole-blood", "pbmc", "bone-marrow", "single-cell-suspension"],
        "lymphoid-clonality-testing" => &["ffpe-tissue", "bone-marrow", "whole-blood", "extracted-dna"],
        "small-rna-sequencing" => &["extracted-rna", "plasma", "serum", "fresh-frozen-tissue"],
        "rna-fusion-panel" | "targeted-rna-sequencing" => &["ffpe-tissue", "extracted-rna", "fine-needle-aspirate"],
        "msi-testing" | "tmb-assessment" | "hrd-testing" => &["ffpe-tissue", "extracted-dna"],
        _ => family.sample_types(),
    }
}

/// Organisation names, filled with the platform's city.
const ORG_TEMPLATES: [&str; 14] = [
    "{city} University Hospital",
    "University Hospital {city}",
    "{city} Comprehensive Cancer Centre",
    "{city} Institute of Oncology",
    "{city} Medical University",
    "University of {city}",
    "{city} Centre for Molecular Medicine",
    "{city} Institute for Cancer Research",
    "{city} Biomedical Research Institute",
    "Faculty of Medicine, University of {city}",
    "{city} Regional Clinical Hospital",
    "{city} Institute for Genomic Medicine",
    "{city} Centre for Translational Oncology",
    "{city} Clinical Center",
];

const CLINICAL_UNITS: [&str; 5] = [
    "Molecular Pathology Laboratory",
    "Molecular Diagnostics Laboratory",
    "Clinical Genomics Laboratory",
    "Laboratory of Molecular Oncology",
    "Cancer Genetics Diagnostic Laboratory",
];

const HAEMATO_UNITS: [&str; 3] =
    ["Haemato-Oncology Diagnostics Laboratory", "Laboratory of Haematological Diagnostics", "Leukaemia Diagnostics Unit"];

const AUDIENCES: [&str; 6] = [
    "academic and clinical groups",
    "translational research groups",
    "hospitals in the region",
    "the national cancer network",
    "pharma and biotech partners as well as academic users",
    "clinical trial consortia",
];

// Platform description templates, grouped by the part of the description they make.

const P_OPEN: [&str; 8] = [
    "The {name} is a {kind} at {org} offering {tech} to academic and clinical users.",
    "We are a {kind} in {city} serving {audience}, with a focus on {cancer} and {cancer2}.",
    "Founded in {year}, our {kind} provides {tech} as a service to {audience}.",
    "The {name} runs {tech} for {audience} across {country} and beyond.",
    "Shared {kind} of {org} providing {tech} from sample to data.",
    "Our laboratory has been offering {tech} since {year}, mainly for {cancer} cohorts.",
    "{Kind} dedicated to {tech}, embedded in the {org} campus in {city}.",
    "We support research and clinical groups with {tech}, from study design to data delivery.",
];

const P_CAP: [&str; 8] = [
    "{Tech} is run on {instr}, with typically {cap} samples a month.",
    "For {tech} we use {instr}; median turnaround is {tat} days from sample receipt.",
    "We process {sample} and {sample2} for {tech}, with about {cap} samples a month.",
    "Our {tech} workflow runs on {instr} and has been used in studies of {cancer}.",
    "{Tech}: up to {cap} samples per month on {instr}, results in about {weeks} weeks.",
    "{Tech} accepts {sample} as input; expect results in about {weeks} weeks.",
    "Since {year} we run {tech} on {instr}, mostly for {cancer} projects.",
    // Last: only for a capability after the first, in a research platform.
    "We also offer {tech} on {instr}, currently as a research service.",
];

const P_ACCR: [&str; 4] = [
    "The laboratory is {accr} accredited and reports are signed out by a molecular pathologist.",
    "Results are discussed at the weekly molecular tumour board and reported in an {accr} accredited setting.",
    "Our {tech} test is validated under {accr} and we take part in external quality assessment every year.",
    "We work under {accr} and can provide validation reports on request.",
];

const P_DATA: [&str; 5] = [
    "Data are delivered as {std} files together with a QC report.",
    "Deliverables include {std} and {std2}, plus a short methods text for publications.",
    "Analysis with our in-house pipeline is included; raw {std} files are always returned.",
    "Data can be transferred via {transfer} or deposited in {repo} on request.",
    "Bioinformatics support ranges from primary QC to custom downstream analysis, delivered as {std}.",
];

/// Access and logistics sentences: (template, condition).
const P_ACCESS: [(&str, Access); 7] = [
    ("We accept samples from across Europe and provide shipping instructions and pre-labelled kits.", Access::CrossBorder),
    ("External users are welcome; academic rates apply to non-profit institutions.", Access::External),
    ("Because of national reimbursement rules we currently only accept samples from {country}.", Access::Domestic),
    ("Please contact us before sending samples to discuss study design and sample requirements.", Access::Any),
    ("Typical capacity is {total} samples a month across all workflows; please book at least {lead} weeks ahead.", Access::Any),
    ("We only work on samples from our own hospital network at the moment.", Access::Internal),
    ("Cross-border projects are welcome, and we have experience with material transfer agreements across the EU.", Access::CrossBorder),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Any,
    External,
    CrossBorder,
    Domestic,
    Internal,
}

// Need title and description templates, in the voice of clinicians and researchers.

/// Need titles: (template, when it fits).
const N_TITLES: [(&str, When); 24] = [
    ("{Tech} for {n} {cancer} samples", When::Any),
    ("{Tech} of {sample} from a {cancer} cohort", When::Any),
    ("Looking for {tech} capacity for {cancer}", When::Any),
    ("{Tech} in a multicentre {cancer} trial", When::Any),
    ("Partner needed: {tech} on {sample}", When::Any),
    ("Accredited {tech} for routine {cancer} diagnostics", When::Accredited),
    ("{Tech} to study treatment resistance in {cancer}", When::Research),
    ("Outsourcing {tech} for a {cancer} biobank collection", When::Research),
    ("{Tech} of {n} archived {sample} samples", When::Any),
    ("Pilot study: {tech} in {cancer}", When::Research),
    ("{Tech} for response monitoring in {cancer}", When::Any),
    ("Validation cohort for a {cancer} signature using {tech}", When::Any),
    ("{Tech} service for a national {cancer} registry", When::Any),
    ("{Tech} on matched pre- and post-treatment {cancer} samples", When::Research),
    ("Need help with {tech} ({n} samples)", When::Any),
    ("Collaborator sought for {tech} in {cancer}", When::Research),
    ("{Tech} for the {cancer} molecular tumour board", When::Clinical),
    ("Rapid-turnaround {tech} for {cancer} patients", When::Clinical),
    ("{Tech} of {sample}: {n} samples, {cancer}", When::Any),
    ("Tumour microenvironment profiling of {cancer} by {tech}", When::Research),
    ("Bringing {tech} into routine care for {cancer}", When::Clinical),
    ("{Tech} for a {cancer} cohort in {country}", When::Any),
    ("{Tech} and {tech2} for {cancer} biomarker discovery", When::Two),
    ("{Tech} to complement our in-house {tech2}", When::Two),
];

/// Opening sentences of a need: who is asking and why.
const N_CONTEXT: [(&str, When); 8] = [
    ("We are a {role} group at a {inst} in {city} working on {cancer}.", When::Any),
    ("Our {dept} sees around {py} new {cancer} patients a year, and we currently have no access to {tech} in {country}.", When::Any),
    ("In a project funded by {funder} we have collected {n} {sample} samples from {cancer} patients.", When::Research),
    ("We run an investigator-initiated trial in {cancer} and need {tech} as an exploratory endpoint.", When::Research),
    ("Our biobank holds {n} {sample} samples with clinical follow-up, mostly {cancer}.", When::Research),
    ("Our hospital laboratory only offers single-gene tests, which no longer meets the guidelines for {cancer}.", When::Clinical),
    ("We are a small translational team and do not have the equipment or expertise for {tech} in-house.", When::Any),
    ("Our oncologists would like {tech} for {cancer} patients, but nobody in {country} offers it yet.", When::Clinical),
];

/// What a need asks for.
const N_REQUEST: [(&str, When); 8] = [
    ("We are looking for a partner who can run {tech} on {n} {sample} samples.", When::Any),
    ("Ideally the provider would also deliver {tech2} on the same material.", When::Two),
    ("We need {tech} with a turnaround of under {t} weeks, because results feed into treatment decisions.", When::Clinical),
    ("Raw data ({std}) and a basic QC report are enough; we have our own bioinformatician.", When::Research),
    ("We would need full analysis included, since we have no bioinformatics support locally.", When::Any),
    ("Samples can be shipped on dry ice in batches of {b}.", When::Any),
    ("We expect roughly {m} samples a month once the study is running.", When::Any),
    ("We need a report our tumour board can act on, not just raw data.", When::Clinical),
];

/// Constraints a need states.
const N_CONSTRAINT: [(&str, When); 8] = [
    ("The work must be done in a laboratory holding {accr}.", When::Accredited),
    ("Our ethics approval allows transfer of pseudonymised samples within the EU/EEA only.", When::Any),
    ("We would prefer a partner in a neighbouring country to keep courier times short.", When::Restricted),
    ("Results are needed before {deadline}, when the grant ends.", When::Deadline),
    ("We have a budget of roughly EUR {budget} for the whole project.", When::Budget),
    ("Data must stay in Europe and be shared under a data-processing agreement.", When::Any),
    ("Co-authorship on resulting publications is of course offered.", When::Research),
    ("We are open to a joint grant application if this works out.", When::Research),
];

/// When a need template fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    Any,
    /// Routine care or clinical implementation.
    Clinical,
    /// Translational research or emerging technology.
    Research,
    Accredited,
    /// Two or more technologies.
    Two,
    /// Not `["ANY"]` acceptable countries.
    Restricted,
    Deadline,
    Budget,
}

/// What is true of one need, to pick the templates that fit it.
#[derive(Clone, Copy)]
struct NeedFacts {
    clinical: bool,
    accredited: bool,
    two: bool,
    restricted: bool,
    deadline: bool,
    budget: bool,
}

impl NeedFacts {
    fn fits(self, w: When) -> bool {
        match w {
            When::Any => true,
            When::Clinical => self.clinical,
            When::Research => !self.clinical,
            When::Accredited => self.accredited,
            When::Two => self.two,
            When::Restricted => self.restricted,
            When::Deadline => self.deadline,
            When::Budget => self.budget,
        }
    }

    fn templates(self, from: &[(&'static str, When)]) -> Vec<&'static str> {
        from.iter().filter(|(_, w)| self.fits(*w)).map(|(t, _)| *t).collect()
    }
}

const ROLES: [&str; 5] = ["translational oncology", "cancer genomics", "molecular pathology", "tumour immunology", "clinical research"];
const INSTITUTIONS: [&str; 5] =
    ["university hospital", "regional cancer centre", "medical university", "research institute", "comprehensive cancer centre"];
const DEPARTMENTS: [&str; 4] = ["oncology department", "pathology department", "multidisciplinary cancer team", "medical oncology clinic"];
const FUNDERS: [&str; 7] = [
    "Horizon Europe",
    "the ERC",
    "our national research council",
    "the EU Cancer Mission",
    "EU4Health",
    "a regional health fund",
    "a national cancer charity",
];
const TRANSFERS: [&str; 4] = ["Aspera", "SFTP", "Globus", "a secure download link"];
const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

// ---------------------------------------------------------------------------------------------
// The catalogue: every table resolved against the vocabularies once.
// ---------------------------------------------------------------------------------------------

/// An index drawn by weight, with rand's `WeightedIndex`; 0 when the table is empty or has no
/// positive weight (callers check emptiness first).
struct Weighted(Option<WeightedIndex<f64>>);

impl Weighted {
    fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        Weighted(WeightedIndex::new(weights).ok())
    }

    fn pick(&self, rng: &mut StdRng) -> usize {
        self.0.as_ref().map_or(0, |w| w.sample(rng))
    }
}

struct Tech<'v> {
    id: &'v str,
    /// Label as in the vocabulary, for the start of a sentence or a title.
    label: &'v str,
    /// Label for the middle of a sentence.
    phrase: String,
    family: Family,
    /// Index into `Catalog::roots`.
    root: usize,
    /// Sample types it takes: (id, phrase).
    samples: Vec<(&'v str, String)>,
    standards: Vec<(&'v str, &'v str)>,
    instruments: &'static [&'static str],
    sequencer: bool,
}

struct Root {
    /// Indices into `Catalog::techs`.
    members: Vec<usize>,
    weights: Weighted,
}

struct Country<'v> {
    id: &'v str,
    label: &'v str,
    /// The name as it reads in a sentence ("the Netherlands").
    phrase: String,
    capital: Option<&'v str>,
    cities: &'static [&'static str],
    /// Indices into `Catalog::countries`.
    neighbours: Vec<usize>,
}

struct Catalog<'v> {
    techs: Vec<Tech<'v>>,
    tech_weights: Weighted,
    roots: Vec<Root>,
    countries: Vec<Country<'v>>,
    country_weights: Weighted,
    cancers: Vec<(&'v str, &'static str)>,
    cancer_weights: Weighted,
    /// Readiness areas in vocabulary order: routine, implementation, translational, emerging.
    readiness: [Option<&'v str>; 4],
    readiness_fallback: &'v str,
    accreditations: Accreditations<'v>,
    /// Services: wet-lab, bioinformatics, clinical-report, consultation, data-management.
    services: [Option<&'v str>; 5],
    services_fallback: &'v str,
    deadline_start: NaiveDate,
    deadline_span: u64,
}

struct Accreditations<'v> {
    /// (id, label)
    iso15189: Option<(&'v str, &'v str)>,
    iso17025: Option<(&'v str, &'v str)>,
    eqa: Vec<&'v str>,
    ivdr_in_house: Option<&'v str>,
    ce_ivd: Option<&'v str>,
    cap: Option<&'v str>,
    /// Research-platform quality systems, with weights.
    quality: Vec<&'v str>,
    quality_weights: Weighted,
    /// What needs ask for: (id, label), with weights.
    required: Vec<(&'v str, &'v str)>,
    required_weights: Weighted,
}

/// The vocabulary's own id string for `id`, if it has that term.
fn known<'v>(vocab: &'v Vocabulary, id: &str) -> Option<&'v str> {
    vocab.get(id).map(|t| t.id.as_str())
}

fn known_labelled<'v>(vocab: &'v Vocabulary, id: &str) -> Option<(&'v str, &'v str)> {
    vocab.get(id).map(|t| (t.id.as_str(), t.label.as_str()))
}

/// A label as it reads mid-sentence: `Whole exome sequencing` → `whole exome sequencing`, but
/// `RNA sequencing`, `T-cell receptor ...`, `PacBio HiFi ...` and proper nouns stay as they are.
fn in_sentence(label: &str) -> String {
    const PROPER: [&str; 9] = ["Oxford", "Infinium", "Olink", "Bionano", "Sanger", "Illumina", "Visium", "Xenium", "Ewing"];
    let first = label.split_whitespace().next().unwrap_or("");
    let mut chars = first.chars();
    let lower = match (chars.next(), chars.next()) {
        (Some(a), Some(b)) => {
            a.is_uppercase()
                && b.is_lowercase()
                && !first.chars().skip(1).any(|c| c.is_uppercase() || c.is_ascii_digit())
                && !PROPER.contains(&first)
        }
        _ => false,
    };
    if lower {
        let mut out = String::with_capacity(label.len());
        let mut it = label.chars();
        if let Some(c) = it.next() {
            out.extend(c.to_lowercase());
        }
        out.extend(it);
        out
    } else {
        label.to_owned()
    }
}

impl<'v> Catalog<'v> {
    fn new(vocabs: &'v Vocabularies) -> Option<Self> {
        let tv = &vocabs.technologies;

        // Candidate technologies: the popular list first, then every other leaf.
        let mut ids: Vec<&'v str> = POPULAR.iter().filter_map(|id| known(tv, id)).collect();
        for t in tv.terms() {
            if tv.children(&t.id).is_empty() && !ids.contains(&t.id.as_str()) {
                ids.push(t.id.as_str());
            }
        }
        if ids.is_empty() {
            return None;
        }
        let sample_phrase =
            |id: &str| -> Option<(&'v str, String)> { vocabs.sample_types.get(id).map(|t| (t.id.as_str(), in_sentence(&t.label))) };
        let mut root_ids: Vec<&'v str> = Vec::new();
        let mut techs = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(term) = tv.get(id) else { continue };
            let family = Family::of(tv, id);
            let root_id = tv.self_and_ancestors(id).last().unwrap_or(id);
            let root = match root_ids.iter().position(|r| *r == root_id) {
                Some(r) => r,
                None => {
                    root_ids.push(root_id);
                    root_ids.len() - 1
                }
            };
            let mut samples: Vec<(&'v str, String)> = sample_types(id, family).iter().filter_map(|s| sample_phrase(s)).collect();
            if samples.is_empty() {
                samples = family.sample_types().iter().filter_map(|s| sample_phrase(s)).collect();
            }
            if samples.is_empty() {
                samples = vocabs.sample_types.terms().iter().take(3).map(|t| (t.id.as_str(), in_sentence(&t.label))).collect();
            }
            let standards = family.data_standards().iter().filter_map(|s| known_labelled(&vocabs.data_standards, s)).collect();
            techs.push(Tech {
                id,
                label: term.label.as_str(),
                phrase: in_sentence(&term.label),
                family,
                root,
                samples,
                standards,
                instruments: instruments(id, family),
                sequencer: reads_out_by_sequencing(id, family),
            });
        }
        if techs.is_empty() {
            return None;
        }
        let zipf = |rank: usize| 1.0 / ((rank + 1) as f64).powf(ZIPF_S);
        let tech_weights = Weighted::new((0..techs.len()).map(zipf));
        let roots = (0..root_ids.len())
            .map(|r| {
                let members: Vec<usize> = (0..techs.len()).filter(|&i| techs[i].root == r).collect();
                let weights = Weighted::new(members.iter().map(|&i| zipf(i)));
                Root { members, weights }
            })
            .collect();

        let cv = &vocabs.countries;
        let mut countries: Vec<Country<'v>> = cv
            .terms()
            .iter()
            .map(|t| Country {
                id: t.id.as_str(),
                label: t.label.as_str(),
                phrase: if matches!(t.id.as_str(), "NL" | "GB") { format!("the {}", t.label) } else { t.label.clone() },
                capital: t.capital.as_deref(),
                cities: cities(&t.id),
                neighbours: Vec::new(),
            })
            .collect();
        if countries.is_empty() {
            return None;
        }
        for (i, t) in cv.terms().iter().enumerate() {
            let n = t.neighbours.iter().filter_map(|nb| countries.iter().position(|c| c.id == nb)).collect();
            countries[i].neighbours = n;
        }
        let country_weights =
            Weighted::new(countries.iter().map(|c| POPULATION.iter().find(|(id, _)| *id == c.id).map_or(1.0, |(_, p)| *p)));

        let cancers: Vec<(&'v str, &'static str, f64)> =
            CANCERS.iter().filter_map(|(code, phrase, w)| known(&vocabs.cancer_types, code).map(|id| (id, *phrase, *w))).collect();
        let cancer_weights = Weighted::new(cancers.iter().map(|c| c.2));
        let cancers = cancers.into_iter().map(|(id, p, _)| (id, p)).collect();

        let rv = &vocabs.readiness_areas;
        let readiness =
            ["routine-care", "clinical-implementation", "translational-research", "emerging-technology"].map(|id| known(rv, id));
        let readiness_fallback = rv.terms().first().map(|t| t.id.as_str())?;

        let av = &vocabs.accreditations;
        let quality_table = [("iso-9001", 50.0), ("iso-iec-17025", 20.0), ("gclp", 15.0), ("glp", 10.0), ("iso-20387", 5.0)];
        let quality: Vec<(&'v str, f64)> = quality_table.iter().filter_map(|(id, w)| known(av, id).map(|k| (k, *w))).collect();
        let required_table = [("iso-15189", 70.0), ("iso-iec-17025", 12.0), ("gclp", 8.0), ("ivdr-in-house", 5.0), ("ce-ivd", 5.0)];
        let required: Vec<((&'v str, &'v str), f64)> =
            required_table.iter().filter_map(|(id, w)| known_labelled(av, id).map(|k| (k, *w))).collect();
        let accreditations = Accreditations {
            iso15189: known_labelled(av, "iso-15189"),
            iso17025: known_labelled(av, "iso-iec-17025"),
            eqa: ["emqn-eqa", "genqa-eqa", "esp-eqa", "eqa-participation"].iter().filter_map(|id| known(av, id)).collect(),
            ivdr_in_house: known(av, "ivdr-in-house"),
            ce_ivd: known(av, "ce-ivd"),
            cap: known(av, "cap"),
            quality_weights: Weighted::new(quality.iter().map(|q| q.1)),
            quality: quality.into_iter().map(|q| q.0).collect(),
            required_weights: Weighted::new(required.iter().map(|r| r.1)),
            required: required.into_iter().map(|r| r.0).collect(),
        };

        let sv = &vocabs.services;
        let services = ["wet-lab", "bioinformatics", "clinical-report", "consultation", "data-management"].map(|id| known(sv, id));
        let services_fallback = sv.terms().first().map(|t| t.id.as_str())?;

        let deadline_start = NaiveDate::from_ymd_opt(2027, 3, 1)?;
        let deadline_end = NaiveDate::from_ymd_opt(2028, 12, 31)?;
        let deadline_span = u64::try_from(deadline_end.signed_duration_since(deadline_start).num_days()).unwrap_or(0);

        Some(Catalog {
            techs,
            tech_weights,
            roots,
            countries,
            country_weights,
            cancers,
            cancer_weights,
            readiness,
            readiness_fallback,
            accreditations,
            services,
            services_fallback,
            deadline_start,
            deadline_span,
        })
    }

    // ---- shared draws ---------------------------------------------------------------------

    /// `k` distinct technologies: the first by popularity, each further one from the same family
    /// as the first half of the time.
    fn pick_techs(&self, rng: &mut StdRng, k: usize) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::with_capacity(k);
        let mut tries = 0;
        while out.len() < k && tries < 12 * k {
            tries += 1;
            let t = match out.first() {
                Some(&first) if rng.random_bool(0.5) => {
                    let root = &self.roots[self.techs[first].root];
                    root.members[root.weights.pick(rng)]
                }
                _ => self.tech_weights.pick(rng),
            };
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    fn pick_country(&self, rng: &mut StdRng) -> usize {
        self.country_weights.pick(rng)
    }

    fn pick_city(&self, rng: &mut StdRng, c: &Country<'v>) -> &'v str {
        let capital = c.capital.or_else(|| c.cities.first().copied()).unwrap_or(c.label);
        if c.cities.is_empty() || rng.random_bool(0.35) {
            return capital;
        }
        c.cities.choose(rng).copied().unwrap_or(capital)
    }

    fn pick_cancer(&self, rng: &mut StdRng) -> Option<(&'v str, &'static str)> {
        if self.cancers.is_empty() {
            return None;
        }
        Some(self.cancers[self.cancer_weights.pick(rng)])
    }

    fn readiness(&self, i: usize) -> Option<&'v str> {
        self.readiness.get(i).copied().flatten()
    }

    // ---- platforms ------------------------------------------------------------------------

    fn platform(&self, rng: &mut StdRng, seed: u64, i: usize) -> Value {
        let country = &self.countries[self.pick_country(rng)];
        let city = self.pick_city(rng, country);
        let n_caps = 1 + pick_small(rng, &[0.3, 0.3, 0.2, 0.12, 0.08]);
        let techs = self.pick_techs(rng, n_caps);
        let primary = &self.techs[techs[0]];
        let family = primary.family;
        let clinical = rng.random_bool(family.p_clinical());

        let mut org = String::with_capacity(64);
        let org_tpl = ORG_TEMPLATES.choose(rng).copied().unwrap_or("{city} University Hospital");
        fill(&mut org, org_tpl, &|k: &str, out: &mut String| {
            if k == "city" {
                out.push_str(city);
            }
        });
        let unit = match (clinical, family) {
            (true, Family::Cytogenomics | Family::Immune) if rng.random_bool(0.6) => HAEMATO_UNITS.choose(rng),
            (true, _) => CLINICAL_UNITS.choose(rng),
            (false, _) => family.unit_names().choose(rng),
        };
        let unit = unit.copied().unwrap_or("Core Facility");
        let name = if rng.random_bool(0.2) { format!("{city} {unit}") } else { unit.to_owned() };
        let slug = slug(&org);
        let mailbox = if clinical && rng.random_bool(0.5) { "molpath" } else { family.mailbox() };

        let maturity = [1u8, 2, 3][pick_small(rng, &[0.2, 0.55, 0.25])];
        let acc = &self.accreditations;
        let primary_accr = if rng.random_bool(0.85) { acc.iso15189.or(acc.iso17025) } else { acc.iso17025.or(acc.iso15189) };
        let quality = if !clinical && !acc.quality.is_empty() && rng.random_bool(0.12) {
            Some(acc.quality[acc.quality_weights.pick(rng)])
        } else {
            None
        };
        let eqa = if clinical && rng.random_bool(0.5) { acc.eqa.choose(rng).copied() } else { None };
        let ivdr = clinical && rng.random_bool(0.2);

        // Capabilities.
        let mut caps = Vec::with_capacity(techs.len());
        let mut accredited_any = false;
        let mut accredited_tech: Option<&str> = None;
        let mut description_caps: Vec<CapText> = Vec::with_capacity(techs.len());
        let mut standards: Vec<(&'v str, &'v str)> = Vec::new();
        let mut total = 0u32;
        for &ti in &techs {
            let t = &self.techs[ti];
            let n_instr = rng.random_range(1..=2);
            let mut instr: Vec<&str> = t.instruments.choose_multiple(rng, n_instr).copied().collect();
            if t.sequencer
                && rng.random_bool(0.8)
                && let Some(s) = SEQUENCERS[..6].choose(rng)
            {
                instr.push(s);
            }
            let samples = typical_plus(rng, &t.samples, 3);
            let (lo, hi) = t.family.capacity();
            let capacity = nice(log_uniform(rng, lo, hi));
            let (tlo, thi) = t.family.turnaround();
            let (tlo, thi) = if clinical { (tlo.max(2) * 2 / 3, (thi * 2 / 3).max(tlo + 1)) } else { (tlo, thi) };
            let tat = rng.random_range(tlo.max(1)..=thi.max(tlo.max(1)));
            total = total.saturating_add(capacity);

            let mut accreditations: Vec<&str> = Vec::new();
            if clinical {
                let p = if t.family.p_clinical() >= 0.3 { 0.9 } else { 0.3 };
                if let Some((id, _)) = primary_accr.filter(|_| rng.random_bool(p)) {
                    accreditations.push(id);
                    accredited_any = true;
                    accredited_tech.get_or_insert(t.phrase.as_str());
                }
                accreditations.extend(eqa);
                if ivdr {
                    accreditations.extend(acc.ivdr_in_house);
                }
                if matches!(t.family, Family::Targeted | Family::Dpcr) && rng.random_bool(0.15) {
                    accreditations.extend(acc.ce_ivd);
                }
                if rng.random_bool(0.03) {
                    accreditations.extend(acc.cap);
                }
            }
            accreditations.extend(quality);

            let mut services: Vec<&str> = Vec::new();
            let [wet, bio, report, consult, data] = self.services;
            let mut add = |s: Option<&'v str>, p: f64, rng: &mut StdRng| {
                if let Some(s) = s.filter(|_| rng.random_bool(p)) {
                    services.push(s);
                }
            };
            if t.family == Family::Bioinformatics {
                add(bio, 1.0, rng);
                add(consult, 0.5, rng);
                add(data, 0.4, rng);
            } else if clinical {
                add(wet, 0.4, rng);
                add(bio, 0.5, rng);
                add(report, 0.95, rng);
                add(data, 0.1, rng);
            } else {
                add(wet, 0.95, rng);
                add(bio, 0.6, rng);
                add(consult, 0.4, rng);
                add(data, 0.2, rng);
            }
            if services.is_empty() {
                services.push(wet.or(bio).unwrap_or(self.services_fallback));
            }

            for s in typical_plus(rng, &t.standards, 2) {
                if standards.len() < 6 && !standards.iter().any(|x| x.0 == s.0) {
                    standards.push(*s);
                }
            }

            description_caps.push(CapText {
                tech: ti,
                instr: instr.join(" and "),
                sample: samples.first().map_or("", |s| s.1.as_str()).to_owned(),
                sample2: samples.get(1).map_or("", |s| s.1.as_str()).to_owned(),
                capacity,
                tat,
            });
            caps.push(json!({
                "technology": t.id,
                "instruments": instr,
                "sample_types": samples.iter().map(|s| s.0).collect::<Vec<_>>(),
                "monthly_capacity": capacity,
                "turnaround_days": tat,
                "accreditations": accreditations,
                "services": services,
            }));
        }
        if clinical
            && rng.random_bool(0.5)
            && let Some(f) = known_std(primary, "fhir-genomics")
            && !standards.iter().any(|x| x.0 == f.0)
        {
            standards.push(f);
        }

        // Readiness areas, in vocabulary order, following the accreditation.
        let mut areas = [false; 4];
        if clinical && accredited_any {
            areas[0] = true;
            areas[1] = rng.random_bool(0.5);
            areas[2] = rng.random_bool(0.4);
        } else if clinical {
            areas[1] = true;
            areas[2] = rng.random_bool(0.6);
        } else if quality.is_some() {
            areas[2] = true;
            areas[1] = rng.random_bool(0.3);
            areas[3] = rng.random_bool(0.3);
        } else {
            areas[2] = rng.random_bool(0.8);
            areas[3] = rng.random_bool(if family.emerging() { 0.6 } else { 0.25 });
            if !areas[2] && !areas[3] {
                areas[2] = true;
            }
        }
        let mut readiness: Vec<&str> = (0..4).filter(|&k| areas[k]).filter_map(|k| self.readiness(k)).collect();
        if readiness.is_empty() {
            readiness.push(self.readiness_fallback);
        }

        let external = rng.random_bool(0.9);
        let cross_border = external && rng.random_bool(0.78);

        // Description.
        let cancer = self.pick_cancer(rng).map_or(ANY_CANCER, |c| c.1);
        let cancer2 = self.pick_cancer(rng).map_or(ANY_CANCER, |c| c.1);
        let cancer2 = if cancer2 == cancer { "other solid tumours" } else { cancer2 };
        let year = rng.random_range(family.since()..=2025);
        let mut ctx = Ctx {
            name: &name,
            org: &org,
            city,
            country: &country.phrase,
            kind: if clinical {
                "diagnostic laboratory"
            } else {
                ["core facility", "research platform", "shared resource", "technology platform"]
                    .choose(rng)
                    .copied()
                    .unwrap_or("core facility")
            },
            audience: AUDIENCES.choose(rng).copied().unwrap_or(AUDIENCES[0]),
            year,
            cancer,
            cancer2,
            tech: &primary.phrase,
            tech_cap: primary.label,
            accr: primary_accr.map_or("", |a| a.1),
            std: standards.first().map_or("FASTQ", |s| s.1),
            std2: standards.get(1).map_or("a QC report", |s| s.1),
            transfer: TRANSFERS.choose(rng).copied().unwrap_or("SFTP"),
            repo: family.repository(),
            total,
            lead: rng.random_range(2..=8),
            ..Ctx::default()
        };
        let mut d = String::with_capacity(1200);
        sentence(&mut d, P_OPEN.choose(rng).copied().unwrap_or(P_OPEN[0]), &ctx);
        for (j, c) in description_caps.iter().enumerate() {
            let t = &self.techs[c.tech];
            ctx.tech = &t.phrase;
            ctx.tech_cap = t.label;
            ctx.instr = &c.instr;
            ctx.cap = c.capacity;
            ctx.tat = c.tat;
            ctx.sample = &c.sample;
            ctx.sample2 = if c.sample2.is_empty() { "extracted material" } else { &c.sample2 };
            ctx.year = rng.random_range(t.family.since()..=2025).max(year);
            ctx.cancer = self.pick_cancer(rng).map_or(ANY_CANCER, |x| x.1);
            // "We also offer ..., as a research service" is neither an opening nor diagnostics.
            let n = if j == 0 || clinical { P_CAP.len() - 1 } else { P_CAP.len() };
            sentence(&mut d, P_CAP[..n].choose(rng).copied().unwrap_or(P_CAP[0]), &ctx);
        }
        if let (true, Some(tech)) = (accredited_any, accredited_tech) {
            ctx.tech = tech;
            sentence(&mut d, P_ACCR.choose(rng).copied().unwrap_or(P_ACCR[0]), &ctx);
        }
        sentence(&mut d, P_DATA.choose(rng).copied().unwrap_or(P_DATA[0]), &ctx);
        let access: Vec<&str> = P_ACCESS
            .iter()
            .filter(|(_, a)| match a {
                Access::Any => true,
                Access::External => external,
                Access::CrossBorder => cross_border,
                Access::Domestic => external && !cross_border,
                Access::Internal => !external,
            })
            .map(|(t, _)| *t)
            .collect();
        let n_access = rng.random_range(1..=2);
        for tpl in access.choose_multiple(rng, n_access) {
            sentence(&mut d, tpl, &ctx);
        }

        json!({
            "external_key": format!("synthetic-platform-{seed}-{i}"),
            "name": clip(name, 200),
            "organisation": {"name": clip(org, 200), "ror_id": null},
            "country": country.id,
            "city": city,
            "description": clip(d, 10_000),
            "website": format!("https://{slug}.example.org"),
            "contact_email": format!("{mailbox}@{slug}.example.org"),
            "maturity_level": maturity,
            "readiness_areas": readiness,
            "accepts_external_samples": external,
            "accepts_cross_border": cross_border,
            "data_standards": standards.iter().map(|s| s.0).collect::<Vec<_>>(),
            "capabilities": caps,
            "status": "published",
        })
    }

    // ---- needs ----------------------------------------------------------------------------

    fn need(&self, rng: &mut StdRng, seed: u64, i: usize) -> Value {
        let country_i = self.pick_country(rng);
        let country = &self.countries[country_i];
        let k = 1 + pick_small(rng, &[0.55, 0.3, 0.15]);
        let techs = self.pick_techs(rng, k);
        let first = &self.techs[techs[0]];
        let required: Vec<bool> = (0..techs.len()).map(|j| j == 0 || rng.random_bool(0.5)).collect();
        let sample_count = round_count(log_uniform(rng, 5.0, 2000.0).clamp(5, 2000));
        let cancer = if rng.random_bool(0.9) { self.pick_cancer(rng) } else { None };
        // Blood and marrow for leukaemias and myeloma, no marrow for solid tumours.
        let haematological = cancer.is_some_and(|c| HAEMATOLOGICAL.contains(&c.0));
        let suitable: Vec<&(&'v str, String)> =
            first.samples.iter().filter(|s| if haematological { BLOOD_SAMPLES.contains(&s.0) } else { s.0 != "bone-marrow" }).collect();
        let (sample_id, sample_phrase) = match suitable.choose(rng).copied().or(first.samples.first()) {
            Some((id, p)) => (*id, p.as_str()),
            None => ("", ""),
        };

        let accreditation = if rng.random_bool(0.25) && !self.accreditations.required.is_empty() {
            Some(self.accreditations.required[self.accreditations.required_weights.pick(rng)])
        } else {
            None
        };
        let area_weights: [f64; 4] = if accreditation.is_some() {
            [0.5, 0.4, 0.1, 0.0]
        } else if first.family.p_clinical() >= 0.3 {
            [0.25, 0.3, 0.35, 0.1]
        } else if first.family.emerging() {
            [0.02, 0.08, 0.55, 0.35]
        } else {
            [0.03, 0.12, 0.6, 0.25]
        };
        let area = pick_small(rng, &area_weights);
        let readiness = self.readiness(area).unwrap_or(self.readiness_fallback);

        let acceptable: Vec<&str> = if rng.random_bool(0.6) || self.countries.len() < 2 {
            vec!["ANY"]
        } else {
            let want = rng.random_range(2..=6usize).min(self.countries.len());
            let mut picked: Vec<usize> = Vec::with_capacity(want);
            if rng.random_bool(0.7) {
                picked.push(country_i);
            }
            let mut nb = country.neighbours.clone();
            nb.shuffle(rng);
            for n in nb.into_iter().take(want.saturating_sub(picked.len()).min(2)) {
                if !picked.contains(&n) {
                    picked.push(n);
                }
            }
            let mut tries = 0;
            while picked.len() < want && tries < 64 {
                tries += 1;
                let c = self.pick_country(rng);
                if !picked.contains(&c) {
                    picked.push(c);
                }
            }
            picked.iter().map(|&c| self.countries[c].id).collect()
        };
        let restricted = acceptable.first() != Some(&"ANY");

        let deadline = if rng.random_bool(0.8) {
            self.deadline_start.checked_add_days(chrono::Days::new(rng.random_range(0..=self.deadline_span)))
        } else {
            None
        };
        let budget = if rng.random_bool(0.5) {
            let (lo, hi) = first.family.cost();
            let per_sample = lo + rng.random::<f64>() * (hi - lo);
            let total = per_sample * f64::from(sample_count);
            let max = round_eur(total * 1.25).max(1000);
            let min = round_eur(total * 0.8).min(max);
            Some((if rng.random_bool(0.8) { Some(min) } else { None }, max))
        } else {
            None
        };
        let anonymous = rng.random_bool(0.2);
        let status = if rng.random_bool(0.9) { "open" } else { "in_discussion" };

        // Title and description.
        let second = techs.get(1).map(|&t| &self.techs[t]);
        let deadline_text = deadline.map(|d| {
            let m = MONTHS.get(d.month0() as usize).copied().unwrap_or("December");
            format!("{m} {}", d.year())
        });
        let budget_text = budget.map(|(_, max)| thousands(max));
        let std_label = first.standards.first().map_or("FASTQ", |s| s.1);
        let ctx = Ctx {
            city: self.pick_city(rng, country),
            country: &country.phrase,
            cancer: cancer.map_or(ANY_CANCER, |c| c.1),
            tech: &first.phrase,
            tech_cap: first.label,
            tech2: second.map_or("", |t| t.phrase.as_str()),
            sample: sample_phrase,
            n: sample_count,
            m: (sample_count / rng.random_range(3..=12)).clamp(2, 200),
            py: 10 * rng.random_range(3..=60),
            t: rng.random_range(2..=6),
            b: [5, 10, 12, 20, 24, 48][rng.random_range(0..6)],
            role: if haematological && rng.random_bool(0.6) { "haemato-oncology" } else { ROLES.choose(rng).copied().unwrap_or(ROLES[0]) },
            inst: INSTITUTIONS.choose(rng).copied().unwrap_or(INSTITUTIONS[0]),
            dept: match cancer.map(|c| c.0) {
                _ if haematological => "haematology clinic",
                Some("LUAD" | "LUSC" | "NSCLC" | "SCLC" | "PLMESO") if rng.random_bool(0.5) => "thoracic oncology unit",
                _ => DEPARTMENTS.choose(rng).copied().unwrap_or(DEPARTMENTS[0]),
            },
            funder: FUNDERS.choose(rng).copied().unwrap_or(FUNDERS[0]),
            accr: accreditation.map_or("", |a| a.1),
            std: std_label,
            deadline: deadline_text.as_deref().unwrap_or(""),
            budget: budget_text.as_deref().unwrap_or(""),
            ..Ctx::default()
        };
        let facts = NeedFacts {
            clinical: area <= 1,
            accredited: accreditation.is_some(),
            two: second.is_some(),
            restricted,
            deadline: deadline.is_some(),
            budget: budget.is_some(),
        };
        let title_tpl = facts.templates(&N_TITLES).choose(rng).copied().unwrap_or(N_TITLES[0].0);
        let mut title = String::with_capacity(96);
        fill(&mut title, title_tpl, &|k: &str, out: &mut String| ctx.put(k, out));
        capitalise_first(&mut title);

        let mut d = String::with_capacity(800);
        let context = facts.templates(&N_CONTEXT).choose(rng).copied().unwrap_or(N_CONTEXT[0].0);
        sentence(&mut d, context, &ctx);
        let n_requests = rng.random_range(1..=2);
        for tpl in facts.templates(&N_REQUEST).choose_multiple(rng, n_requests) {
            sentence(&mut d, tpl, &ctx);
        }
        let n_constraints = rng.random_range(0..=2);
        for tpl in facts.templates(&N_CONSTRAINT).choose_multiple(rng, n_constraints) {
            sentence(&mut d, tpl, &ctx);
        }

        let technologies: Vec<Value> =
            techs.iter().zip(&required).map(|(&t, &r)| json!({"technology": self.techs[t].id, "required": r})).collect();
        json!({
            "external_key": format!("synthetic-need-{seed}-{i}"),
            "title": clip(title, 200),
            "description": clip(d, 10_000),
            "technologies": technologies,
            "sample_type": sample_id,
            "sample_count": sample_count,
            "cancer_type": cancer.map(|c| c.0),
            "readiness_area": readiness,
            "country": country.id,
            "acceptable_countries": acceptable,
            "deadline": deadline.map(|d| d.to_string()),
            "accreditation_required": accreditation.map(|a| a.0),
            "budget_eur": budget.map(|(min, max)| json!({"min": min, "max": max})),
            "visibility": if anonymous { "anonymous" } else { "public" },
            "status": status,
        })
    }
}

/// What the description says about one capability.
struct CapText {
    tech: usize,
    instr: String,
    sample: String,
    sample2: String,
    capacity: u32,
    tat: u32,
}

fn known_std<'v>(t: &Tech<'v>, id: &str) -> Option<(&'v str, &'v str)> {
    t.standards.iter().find(|s| s.0 == id).copied()
}

/// The first (most typical) item, plus up to `extra` others drawn from the rest.
fn typical_plus<'a, T>(rng: &mut StdRng, items: &'a [T], extra: usize) -> Vec<&'a T> {
    let Some((first, rest)) = items.split_first() else { return Vec::new() };
    let k = rng.random_range(0..=extra.min(rest.len()));
    let mut out = Vec::with_capacity(k + 1);
    out.push(first);
    out.extend(rest.choose_multiple(rng, k));
    out
}

/// An index drawn with the given small table of weights.
fn pick_small(rng: &mut StdRng, weights: &[f64]) -> usize {
    Weighted::new(weights.iter().copied()).pick(rng)
}

// ---------------------------------------------------------------------------------------------
// Text helpers.
// ---------------------------------------------------------------------------------------------

/// The values a template may name.
#[derive(Default)]
struct Ctx<'a> {
    name: &'a str,
    org: &'a str,
    city: &'a str,
    country: &'a str,
    kind: &'a str,
    audience: &'a str,
    year: u32,
    cancer: &'a str,
    cancer2: &'a str,
    tech: &'a str,
    tech_cap: &'a str,
    tech2: &'a str,
    instr: &'a str,
    cap: u32,
    tat: u32,
    sample: &'a str,
    sample2: &'a str,
    accr: &'a str,
    std: &'a str,
    std2: &'a str,
    transfer: &'a str,
    repo: &'a str,
    total: u32,
    lead: u32,
    n: u32,
    m: u32,
    py: u32,
    t: u32,
    b: u32,
    role: &'a str,
    inst: &'a str,
    dept: &'a str,
    funder: &'a str,
    deadline: &'a str,
    budget: &'a str,
}

impl Ctx<'_> {
    fn put(&self, key: &str, out: &mut String) {
        let s = match key {
            "name" => self.name,
            "org" => self.org,
            "city" => self.city,
            "country" => self.country,
            "kind" => self.kind,
            "Kind" => {
                let start = out.len();
                out.push_str(self.kind);
                capitalise_from(out, start);
                return;
            }
            "audience" => self.audience,
            "cancer" => self.cancer,
            "cancer2" => self.cancer2,
            "tech" => self.tech,
            "Tech" => self.tech_cap,
            "tech2" => self.tech2,
            "instr" => self.instr,
            "sample" => self.sample,
            "sample2" => self.sample2,
            "accr" => self.accr,
            "std" => self.std,
            "std2" => self.std2,
            "transfer" => self.transfer,
            "repo" => self.repo,
            "role" => self.role,
            "inst" => self.inst,
            "dept" => self.dept,
            "funder" => self.funder,
            "deadline" => self.deadline,
            "budget" => self.budget,
            _ => {
                let v = match key {
                    "year" => self.year,
                    "cap" => self.cap,
                    "tat" => self.tat,
                    "weeks" => self.tat.div_ceil(7).max(1),
                    "total" => self.total,
                    "lead" => self.lead,
                    "n" => self.n,
                    "m" => self.m,
                    "py" => self.py,
                    "t" => self.t,
                    "b" => self.b,
                    _ => return,
                };
                let _ = write!(out, "{v}");
                return;
            }
        };
        out.push_str(s);
    }
}

/// Append `tpl` with every `{key}` replaced by what `put` writes for it.
fn fill(out: &mut String, tpl: &str, put: &dyn Fn(&str, &mut String)) {
    let mut rest = tpl;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                put(&after[..close], out);
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
}

/// Append one sentence of a description, separated by a space.
fn sentence(out: &mut String, tpl: &str, ctx: &Ctx<'_>) {
    if !out.is_empty() {
        out.push(' ');
    }
    let start = out.len();
    fill(out, tpl, &|k: &str, o: &mut String| ctx.put(k, o));
    capitalise_from(out, start);
}

/// Upper-case the character at byte `start` if it is a lower-case letter.
fn capitalise_from(s: &mut String, start: usize) {
    let Some(c) = s[start..].chars().next() else { return };
    if c.is_lowercase() && !s[start..].starts_with("mRNA") && !s[start..].starts_with("cfDNA") {
        let upper: String = c.to_uppercase().collect();
        s.replace_range(start..start + c.len_utf8(), &upper);
    }
}

fn capitalise_first(s: &mut String) {
    capitalise_from(s, 0);
}

/// At most `max` characters, cut at a character boundary.
fn clip(mut s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    if let Some((at, _)) = s.char_indices().nth(max) {
        s.truncate(at);
        let trimmed = s.trim_end().len();
        s.truncate(trimmed);
    }
    s
}

/// A host-name label from an organisation name: ASCII (deunicode), lower case, hyphenated,
/// ≤ 40 characters.
fn slug(name: &str) -> String {
    const SKIP: [&str; 5] = ["of", "for", "the", "and", "de"];
    let mut out = String::with_capacity(40);
    let mut word = String::with_capacity(16);
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() && !SKIP.contains(&word.as_str()) && out.len() + word.len() < 40 {
            if !out.is_empty() {
                out.push('-');
            }
            out.push_str(word);
        }
        word.clear();
    };
    for c in deunicode::deunicode(name).chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        } else if c != '\'' {
            // "Children's" → "childrens"; anything else ends a word.
            flush(&mut word, &mut out);
        }
    }
    flush(&mut word, &mut out);
    if out.is_empty() { "platform".to_owned() } else { out }
}

/// Log-uniform in [lo, hi], rounded.
fn log_uniform(rng: &mut StdRng, lo: f64, hi: f64) -> u32 {
    let (a, b) = (lo.max(1.0).ln(), hi.max(lo.max(1.0)).ln());
    let x = (a + rng.random::<f64>() * (b - a)).exp().round();
    // In range by construction; the cast saturates anyway.
    x as u32
}

/// Capacities as people state them: 7, 35, 240, 1500.
fn nice(v: u32) -> u32 {
    match v {
        0..=20 => v.max(1),
        21..=100 => (v + 2) / 5 * 5,
        101..=1000 => (v + 5) / 10 * 10,
        _ => (v + 50) / 100 * 100,
    }
}

/// Sample counts: exact when small, rounded to tens or fifties when large.
fn round_count(v: u32) -> u32 {
    match v {
        0..=60 => v.max(1),
        61..=1000 => (v + 5) / 10 * 10,
        _ => (v + 25) / 50 * 50,
    }
}

/// Euro amounts rounded to 500 (below 10k) or 1,000.
fn round_eur(x: f64) -> u64 {
    let step = if x < 10_000.0 { 500.0 } else { 1000.0 };
    ((x / step).round() * step).clamp(0.0, 1.0e9) as u64
}

/// `45000` → `45,000`.
fn thousands(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use omics_domain::{NeedFields, PlatformFields};
    use std::collections::{HashMap, HashSet};

    fn vocabs() -> Vocabularies {
        Vocabularies::builtin().unwrap()
    }

    #[test]
    fn same_seed_same_output_different_seed_differs() {
        let v = vocabs();
        let a = generate(&v, 300, 300, 42);
        let b = generate(&v, 300, 300, 42);
        assert_eq!(a, b);
        let c = generate(&v, 300, 300, 43);
        assert_ne!(a.0, c.0);
        assert_ne!(a.1, c.1);
        // Platforms do not depend on how many needs are asked for, and prefixes are stable.
        let d = generate(&v, 100, 0, 42);
        assert_eq!(d.0[..], a.0[..100]);
        assert!(d.1.is_empty());
    }

    #[test]
    fn everything_deserializes_and_validates() {
        let v = vocabs();
        let (platforms, needs) = generate(&v, 2000, 2000, 7);
        assert_eq!(platforms.len(), 2000);
        assert_eq!(needs.len(), 2000);
        for p in platforms {
            let before = p.clone();
            let f: PlatformFields = omics_domain::body::from_value(p).unwrap_or_else(|e| panic!("{e:?}\n{before:#}"));
            let checked = f.clone().validate(&v).unwrap_or_else(|e| panic!("{e:?}\n{before:#}"));
            // Already canonical: validation changes nothing.
            assert_eq!(checked, f, "{before:#}");
            assert!(!f.capabilities.is_empty() && f.capabilities.len() <= 5);
            assert!(f.name.chars().count() <= 200 && f.description.chars().count() <= 10_000);
        }
        for n in needs {
            let before = n.clone();
            let f: NeedFields = omics_domain::body::from_value(n).unwrap_or_else(|e| panic!("{e:?}\n{before:#}"));
            let checked = f.clone().validate(&v, None).unwrap_or_else(|e| panic!("{e:?}\n{before:#}"));
            assert_eq!(checked, f, "{before:#}");
            assert!((1..=3).contains(&f.technologies.len()));
            assert!(f.technologies[0].required);
            assert!((5..=2000).contains(&f.sample_count));
            assert!(f.title.chars().count() <= 200);
            if let Some(d) = f.deadline {
                assert!(d >= NaiveDate::from_ymd_opt(2027, 3, 1).unwrap());
                assert!(d <= NaiveDate::from_ymd_opt(2028, 12, 31).unwrap());
            }
            if f.acceptable_countries != ["ANY"] {
                assert!((2..=6).contains(&f.acceptable_countries.len()), "{:?}", f.acceptable_countries);
            }
        }
    }

    #[test]
    fn external_keys_are_unique() {
        let v = vocabs();
        let (platforms, needs) = generate(&v, 3000, 3000, 11);
        let keys: HashSet<&str> = platforms.iter().chain(&needs).map(|r| r["external_key"].as_str().unwrap()).collect();
        assert_eq!(keys.len(), 6000);
        assert!(keys.contains("synthetic-platform-11-0"));
        assert!(keys.contains("synthetic-need-11-2999"));
    }

    #[test]
    fn distributions_are_skewed() {
        let v = vocabs();
        let cat = Catalog::new(&v).unwrap();
        let (platforms, needs) = generate(&v, 2000, 2000, 3);
        let mut tech: HashMap<String, usize> = cat.techs.iter().map(|t| (t.id.to_owned(), 0)).collect();
        for p in &platforms {
            for c in p["capabilities"].as_array().unwrap() {
                *tech.entry(c["technology"].as_str().unwrap().to_owned()).or_default() += 1;
            }
        }
        let mut counts: Vec<usize> = tech.values().copied().collect();
        counts.sort_unstable();
        let max = *counts.last().unwrap();
        let median = counts[counts.len() / 2];
        assert!(max >= 5 * median.max(1), "max {max}, median {median}");
        let top: Vec<&str> = {
            let mut v: Vec<(&String, &usize)> = tech.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            v.iter().take(8).map(|(k, _)| k.as_str()).collect()
        };
        assert!(top.contains(&"targeted-gene-panel-sequencing") || top.contains(&"whole-exome-sequencing"), "{top:?}");

        let mut country: HashMap<&str, usize> = HashMap::new();
        for r in platforms.iter().chain(&needs) {
            *country.entry(r["country"].as_str().unwrap()).or_default() += 1;
        }
        let de = country.get("DE").copied().unwrap_or(0);
        let mt = country.get("MT").copied().unwrap_or(0);
        assert!(de > mt, "DE {de}, MT {mt}");
        assert!(de > 3 * country.get("AT").copied().unwrap_or(0), "{country:?}");
    }

    #[test]
    fn proportions_are_roughly_as_specified() {
        let v = vocabs();
        let (platforms, needs) = generate(&v, 4000, 4000, 5);
        let frac = |xs: &[Value], f: &dyn Fn(&Value) -> bool| xs.iter().filter(|x| f(x)).count() as f64 / xs.len() as f64;
        let near = |x: f64, target: f64| (x - target).abs() < 0.05;
        assert!(near(frac(&platforms, &|p| p["accepts_cross_border"] == true), 0.7));
        assert!(near(frac(&platforms, &|p| p["accepts_external_samples"] == true), 0.9));
        assert!(near(frac(&platforms, &|p| p["maturity_level"] == 2), 0.55));
        assert!(near(frac(&needs, &|n| n["acceptable_countries"][0] == "ANY"), 0.6));
        assert!(near(frac(&needs, &|n| n["deadline"].is_null()), 0.2));
        assert!(near(frac(&needs, &|n| !n["accreditation_required"].is_null()), 0.25));
        assert!(near(frac(&needs, &|n| !n["budget_eur"].is_null()), 0.5));
        assert!(near(frac(&needs, &|n| n["visibility"] == "anonymous"), 0.2));
        assert!(near(frac(&needs, &|n| n["status"] == "open"), 0.9));
        // Routine-care platforms hold accreditations far more often than the others.
        let accredited =
            |p: &Value| p["capabilities"].as_array().unwrap().iter().any(|c| !c["accreditations"].as_array().unwrap().is_empty());
        let routine: Vec<Value> =
            platforms.iter().filter(|p| p["readiness_areas"].as_array().unwrap().iter().any(|a| a == "routine-care")).cloned().collect();
        let other: Vec<Value> =
            platforms.iter().filter(|p| !p["readiness_areas"].as_array().unwrap().iter().any(|a| a == "routine-care")).cloned().collect();
        assert!(frac(&routine, &accredited) > 0.9);
        assert!(frac(&other, &accredited) < 0.4);
        // Bone marrow only for haematological malignancies (or no stated cancer type).
        for n in &needs {
            if n["sample_type"] == "bone-marrow" {
                assert!(n["cancer_type"].as_str().is_none_or(|c| HAEMATOLOGICAL.contains(&c)), "{n:#}");
            }
        }
    }

    #[test]
    fn free_text_is_deterministic_and_partly_refused() {
        let v = vocabs();
        let a = generate_free_text(&v, 400, 400, 9);
        assert_eq!(a, generate_free_text(&v, 400, 400, 9));
        assert_ne!(a, generate(&v, 400, 400, 9), "values are rewritten");
        for typed in UNREADABLE_TECHNOLOGIES {
            assert!(v.technologies.read("f", typed, false).is_err(), "{typed} is read");
        }
        for typed in UNREADABLE_SAMPLES {
            assert!(v.sample_types.read("f", typed, false).is_err(), "{typed} is read");
        }
        let (platforms, needs) = a;
        let (mut ok, mut kept, mut with_text) = (0, 0, 0);
        for p in &platforms {
            let f: PlatformFields = omics_domain::body::from_value(p.clone()).unwrap();
            if let Ok(f) = f.validate(&v) {
                ok += 1;
                kept += usize::from(!f.unread.is_empty() || !f.held_capabilities.is_empty());
                with_text += usize::from(f.capabilities.iter().any(|c| c.technology_text.is_some()));
            }
        }
        // Every platform is stored; the fifth given an unreadable value (and a few typos more)
        // keep it aside as typed.
        assert_eq!(ok, platforms.len());
        let share = kept as f64 / platforms.len() as f64;
        assert!((0.15..0.45).contains(&share), "{kept} of {} platforms keep a value unread", platforms.len());
        assert!(with_text > ok * 8 / 10, "{with_text} of {ok}");
        let ok =
            needs.iter().filter(|n| omics_domain::body::from_value::<NeedFields>((*n).clone()).unwrap().validate(&v, None).is_ok()).count();
        let share = ok as f64 / needs.len() as f64;
        assert!((0.55..0.85).contains(&share), "{ok} of {} needs accepted", needs.len());
    }

    #[test]
    fn typos_touch_one_long_word() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..50 {
            let t = typo(&mut rng, "Česko whole exome sequencing");
            assert_ne!(t, "Česko whole exome sequencing");
            assert!(t.starts_with("Česko whole exome ") && t.len().abs_diff(29) <= 1, "{t}");
        }
        assert_eq!(typo(&mut rng, "WES"), "WES");
    }

    #[test]
    fn text_helpers() {
        assert_eq!(in_sentence("Whole exome sequencing"), "whole exome sequencing");
        assert_eq!(in_sentence("RNA sequencing"), "RNA sequencing");
        assert_eq!(in_sentence("T-cell receptor repertoire sequencing"), "T-cell receptor repertoire sequencing");
        assert_eq!(in_sentence("PacBio HiFi sequencing"), "PacBio HiFi sequencing");
        assert_eq!(in_sentence("Oxford Nanopore sequencing"), "Oxford Nanopore sequencing");
        assert_eq!(slug("Faculty of Medicine, University of Kraków"), "faculty-medicine-university-krakow");
        assert_eq!(slug("Reykjavík Children's Institute"), "reykjavik-childrens-institute");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(500), "500");
        assert_eq!(clip("ab cd".into(), 3), "ab");
        let mut s = String::new();
        fill(&mut s, "a {x} b {unknown} c {", &|k: &str, o: &mut String| {
            if k == "x" {
                o.push('X')
            }
        });
        assert_eq!(s, "a X b  c {");
    }
}
