# Golden values of tests/test_staff_survey.py::test_a_share_has_the_logit_interval_of_r_svyciprop
# Rscript tests/data/staff/svyciprop_logit.R   (R 4.2, survey 4.1)
# Respondents without a stress answer stay in the design (their wave's n_h), outside the domain, as
# svymean(na.rm = TRUE) does it.
suppressMessages(library(survey))
d <- read.csv2("data_samples/exempelkommun/medarbetarenkat.csv", fileEncoding = "UTF-8")
d$high <- as.numeric(d$stress >= 4)          # Elo's item: "ganska mycket" or "väldigt mycket"
des <- svydesign(ids = ~1, strata = ~omgång, data = d)
for (dom in list(c("2019", "Centrum"), c("2019", "Väster"), c("2021", "Öster"), c("2021", "Norr"))) {
  s <- subset(des, omgång == as.integer(dom[1]) & enhet == dom[2] & !is.na(high))
  r <- svyciprop(~high, s, method = "logit")
  ci <- attr(r, "ci")
  cat(sprintf("%s %s %.15g %.15g %.15g df=%g\n", dom[1], dom[2], as.numeric(r), ci[1], ci[2], degf(s)))
}
