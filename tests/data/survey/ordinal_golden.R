# Golden values for tests/test_survey_ordinal_golden.py: cumulative-logit (proportional-odds) fits by
# R ordinal::clm (default control: Newton-Raphson, gradTol 1e-6), with Wald standard errors and p-values.
#
# Regenerate from the repository root (R >= 4.1, ordinal 2022.11.16):
#   Rscript tests/data/survey/ordinal_golden.R write-wine   # once: tests/data/survey/wine.csv from ordinal::wine
#   Rscript tests/data/survey/ordinal_golden.R > tests/data/survey/ordinal_golden.csv
suppressMessages(library(ordinal))
here <- "tests/data/survey"
if (identical(commandArgs(TRUE), "write-wine")) {
  write.csv(ordinal::wine[, c("rating", "temp", "contact", "bottle", "judge")], file.path(here, "wine.csv"),
            row.names = FALSE, quote = FALSE)
  quit(save = "no")
}
ologit <- read.csv(file.path(here, "ologit.csv"))
ologit$apply <- factor(ologit$apply, levels = c("unlikely", "somewhat likely", "very likely"), ordered = TRUE)
wine <- read.csv(file.path(here, "wine.csv"))
wine$rating <- factor(wine$rating, levels = 1:5, ordered = TRUE)
wine$warm <- as.numeric(wine$temp == "warm")
wine$contact_yes <- as.numeric(wine$contact == "yes")

models <- list(
  ologit_pared = clm(apply ~ pared, data = ologit),
  ologit_full = clm(apply ~ pared + public + gpa, data = ologit),
  wine_contact = clm(rating ~ contact_yes, data = wine),
  wine_full = clm(rating ~ warm + contact_yes, data = wine)
)
rows <- list()
for (m in names(models)) {
  fit <- models[[m]]
  co <- summary(fit)$coefficients            # Estimate, Std. Error, z value, Pr(>|z|)
  stopifnot(fit$convergence$code == 0)
  rows[[m]] <- rbind(
    data.frame(model = m, term = rownames(co), estimate = co[, 1], se = co[, 2], p_value = co[, 4]),
    data.frame(model = m, term = "logLik", estimate = as.numeric(logLik(fit)), se = NA, p_value = NA))
}
out <- do.call(rbind, rows)
num <- vapply(out, is.numeric, TRUE)
out[num] <- lapply(out[num], function(v) sprintf("%.17g", v))
write.csv(out, stdout(), row.names = FALSE, quote = FALSE)
