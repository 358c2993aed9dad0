# Golden values for the design-based share positive (design_share_positive) in
# tests/test_survey_domain_golden.py: a stratified weighted sample per wave with "don't know" answers.
#
# Regenerate from the repository root (R >= 4.1, survey 4.1.1):
#   Rscript tests/data/survey/design_shares_golden.R write-data   # once: weighted_survey.csv (set.seed)
#   Rscript tests/data/survey/design_shares_golden.R > tests/data/survey/design_shares_golden.csv
suppressMessages(library(survey))
here <- "tests/data/survey"
labels <- c("Mycket bra", "Ganska bra", "Varken bra eller dåligt", "Ganska dåligt", "Mycket dåligt", "Vet ej")
if (identical(commandArgs(TRUE), "write-data")) {
  set.seed(20261203)
  rows <- list()
  # two waves, each an independent stratified sample: strata = age band, N_h people, n_h sampled
  frame <- data.frame(stratum = c("65-79", "80+"), N = c(900, 600), n = c(60, 45))
  for (wave in c(2021, 2022)) for (h in seq_len(nrow(frame))) {
    n <- frame$n[h]
    unit <- sample(c("Norr", "Syd", "Väst"), n, replace = TRUE, prob = if (h == 1) c(.5, .5, 0) else c(.3, .3, .4))
    p <- if (wave == 2021) c(.25, .3, .15, .1, .05, .15) else c(.35, .3, .1, .08, .04, .13)
    q <- sample(labels, n, replace = TRUE, prob = p)
    q[sample(n, 3)] <- NA                   # no answer
    rows[[length(rows) + 1]] <- data.frame(wave = wave, unit = unit, stratum = frame$stratum[h],
                                           weight = frame$N[h] / n, fpc = frame$N[h], q = q)
  }
  d <- do.call(rbind, rows)
  d$respondent_id <- seq_len(nrow(d))
  write.csv(d[, c("respondent_id", "wave", "unit", "stratum", "weight", "fpc", "q")], file.path(here, "weighted_survey.csv"),
            row.names = FALSE, na = "", fileEncoding = "UTF-8")
  quit(save = "no")
}
d <- read.csv(file.path(here, "weighted_survey.csv"), encoding = "UTF-8", na.strings = "")
# positive = the two best answers; "don't know" and no answer are outside the domain (NA)
d$pos <- ifelse(d$q %in% labels[1:2], 1, ifelse(d$q %in% labels[3:5], 0, NA))
design <- svydesign(id = ~1, strata = ~interaction(wave, stratum), weights = ~weight, fpc = ~fpc, data = d)
rows <- list()
add <- function(wave, unit, dom) {
  sub <- subset(design, dom & !is.na(pos))
  est <- svymean(~pos, sub)
  ci <- confint(est)
  ci_t <- confint(est, df = degf(sub))
  rows[[length(rows) + 1]] <<- data.frame(wave = wave, unit = unit, n_valid = sum(dom & !is.na(d$pos)),
                                          share = unname(coef(est)), se = unname(SE(est)),
                                          ci_low = ci[1], ci_high = ci[2], ci_t_low = ci_t[1], ci_t_high = ci_t[2])
}
for (w in sort(unique(d$wave))) {
  add(w, "", d$wave == w)
  for (u in sort(unique(d$unit))) add(w, u, d$wave == w & d$unit == u)
}
out <- do.call(rbind, rows)
num <- vapply(out, is.double, TRUE)
out[num] <- lapply(out[num], function(v) sprintf("%.17g", v))
write.csv(out, stdout(), row.names = FALSE, quote = FALSE)
