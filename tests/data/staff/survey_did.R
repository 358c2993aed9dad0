# Golden values for tests/test_staff_survey.py: the HME total index and Elo stress score of the sample staff
# survey (data_samples/exempelkommun/medarbetarenkat.csv), design-based means per wave x {changed, comparison}
# and their difference-in-differences, with R survey: waves as strata, no weights, no fpc. Each domain mean is
# total(y * in_domain) / total(in_domain) (a respondent without a score is outside the domain, as
# svymean(na.rm = TRUE) on a subset); svycontrast() takes the nonlinear DiD through the delta method with the
# full covariance of the totals, i.e. without assuming the four means independent.
# Run from the repository root:  Rscript tests/data/staff/survey_did.R
suppressPackageStartupMessages(library(survey))
d <- read.csv("data_samples/exempelkommun/medarbetarenkat.csv", sep = ";", fileEncoding = "UTF-8",
              check.names = FALSE)
names(d)[1:5] <- c("id", "wave", "unit", "profession", "population")
items <- c("hme_meningsfullt", "hme_utvecklas", "hme_fram_emot", "hme_uppskattning", "hme_fortroende",
           "hme_ansvar", "hme_mal", "hme_forvantningar", "hme_uppfoljning")
d$hme_total <- (rowMeans(d[items]) - 1) * 25          # NA unless all nine answered (complete case)
changed <- d$unit %in% c("Norr", "Söder")
options(digits = 15)
for (v in c("hme_total", "stress")) {
  y <- d[[v]]
  for (cell in c("c19", "c21", "t19", "t21")) {
    inside <- (changed == (substr(cell, 1, 1) == "t")) & d$wave == as.integer(paste0("20", substr(cell, 2, 3))) &
      !is.na(y)
    d[[paste0("n_", cell)]] <- as.numeric(inside)
    d[[paste0("y_", cell)]] <- ifelse(inside, y, 0)
  }
  des <- svydesign(ids = ~1, strata = ~wave, data = d, weights = ~rep(1, nrow(d)))
  tot <- svytotal(~y_t19 + n_t19 + y_t21 + n_t21 + y_c19 + n_c19 + y_c21 + n_c21, des)
  did <- svycontrast(tot, quote((y_t21 / n_t21 - y_t19 / n_t19) - (y_c21 / n_c21 - y_c19 / n_c19)))
  cat(v, "did", coef(did), "se", SE(did), "\n")
  t21 <- svycontrast(tot, quote(y_t21 / n_t21))
  cat(v, "changed 2021 mean", coef(t21), "se", SE(t21), "\n")
}
