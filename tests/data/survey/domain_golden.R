# Golden values for tests/test_survey_domain_golden.py: design-based DOMAIN estimates with R `survey`.
#
# Regenerate from the repository root (R >= 4.1, survey >= 4.1):
#   Rscript tests/data/survey/domain_golden.R > tests/data/survey/domain_golden.csv
#
# Every case reads the test CSVs themselves (so R and Python see the same digits), builds the FULL design,
# and estimates on a domain with subset(design, <domain> & !is.na(y)); for the cases with missing values
# it also checks that this equals svymean/svytotal(..., na.rm = TRUE) on the full design, which R
# implements the same way. R's default options are used: survey.lonely.psu = "fail",
# survey.adjust.domain.lonely = FALSE.
suppressMessages(library(survey))
here <- "tests/data/survey"
strat <- read.csv(file.path(here, "apistrat.csv"))
clus <- read.csv(file.path(here, "apiclus1.csv"))
# derived columns (the Python test derives them the same way)
strat$big_class <- as.numeric(strat$acs.k3 > 20)          # NA where acs.k3 is missing (middle/high schools)
clus$yes <- as.numeric(clus$sch.wide == "Yes")
clus$band <- ifelse(clus$dnum < 400, "low", "high")         # pseudo-strata of districts
clus$nclus <- ifelse(clus$band == "low", 300, 457)          # their number of districts (fpc)

designs <- list(
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat),
  strat_nofpc = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat),
  weighted = svydesign(id = ~1, weights = ~pw, data = strat),
  clus = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus),
  clus_nofpc = svydesign(id = ~dnum, weights = ~pw, data = clus),
  sclus = svydesign(id = ~dnum, strata = ~band, weights = ~pw, fpc = ~nclus, data = clus, nest = TRUE)
)

# case, design, column, kind, domain (an R expression in the design's variables; "all" = whole sample)
cases <- read.csv(text = "
case,design,column,kind,domain
strat_missing_mean,strat,acs.k3,mean,all
strat_missing_total,strat,acs.k3,total,all
strat_missing_prop,strat,big_class,proportion,all
strat_yes_mean,strat,api00,mean,sch.wide == 'Yes'
strat_yes_total,strat,api00,total,sch.wide == 'Yes'
strat_E_mean,strat,api00,mean,stype == 'E'
strat_E_total,strat,enroll,total,stype == 'E'
strat_lonely_mean,strat,api00,mean,api00 > 820
strat_lonely_total,strat,api00,total,api00 > 820
strat_nofpc_yes_mean,strat_nofpc,api00,mean,sch.wide == 'Yes'
strat_nofpc_missing_total,strat_nofpc,acs.k3,total,all
weighted_no_mean,weighted,api99,mean,sch.wide == 'No'
weighted_no_total,weighted,api99,total,sch.wide == 'No'
clus_H_mean,clus,api00,mean,stype == 'H'
clus_H_total,clus,api00,total,stype == 'H'
clus_missing_mean,clus,avg.ed,mean,all
clus_missing_total,clus,avg.ed,total,all
clus_M_prop,clus,yes,proportion,stype == 'M'
clus_onepsu_mean,clus,api00,mean,dnum == 637
clus_onepsu_total,clus,enroll,total,dnum == 637
clus_nofpc_H_mean,clus_nofpc,meals,mean,stype == 'H'
clus_nofpc_missing_prop,clus_nofpc,yes,proportion,!is.na(avg.ed)
sclus_M_mean,sclus,api00,mean,stype == 'M'
sclus_M_total,sclus,api00,total,stype == 'M'
sclus_lonely_mean,sclus,api00,mean,dnum %in% c(61; 406; 413)
sclus_lonely_total,sclus,enroll,total,dnum %in% c(61; 406; 413)
sclus_missing_mean,sclus,avg.ed,mean,all
", stringsAsFactors = FALSE, strip.white = TRUE)

rows <- list()
for (k in seq_len(nrow(cases))) {
  cs <- cases[k, ]
  des <- designs[[cs$design]]
  y <- des$variables[[cs$column]]
  dom <- if (cs$domain == "all") rep(TRUE, nrow(des$variables)) else
    eval(parse(text = gsub(";", ",", cs$domain)), des$variables)
  sub <- des[dom & !is.na(y), ]            # = subset(des, <domain> & !is.na(y))
  f <- as.formula(paste0("~`", cs$column, "`"))
  est <- if (cs$kind == "total") svytotal(f, sub) else svymean(f, sub)
  if (cs$domain == "all") {                # na.rm = TRUE on the full design is the same domain
    full <- if (cs$kind == "total") svytotal(f, des, na.rm = TRUE) else svymean(f, des, na.rm = TRUE)
    stopifnot(isTRUE(all.equal(c(coef(full), SE(full)), c(coef(est), SE(est)), tolerance = 1e-14)))
  }
  df <- degf(sub)
  ci <- confint(est)                       # normal reference (df = Inf), R's default
  ci_t <- if (df > 0) confint(est, df = df) else c(NA, NA)   # a single PSU in the domain: no t interval
  if (cs$kind == "proportion" && df > 0) {           # svyciprop(method = "mean") is the same t interval
    p <- svyciprop(f, sub, method = "mean")
    stopifnot(isTRUE(all.equal(as.numeric(attr(p, "ci")), as.numeric(ci_t), tolerance = 1e-12)))
  }
  rows[[k]] <- data.frame(case = cs$case, estimate = unname(coef(est)), se = unname(SE(est)),
                          ci_low = unname(ci[1]), ci_high = unname(ci[2]), degf = df,
                          ci_t_low = unname(ci_t[1]), ci_t_high = unname(ci_t[2]), n = sum(dom & !is.na(y)),
                          row.names = NULL)
}
out <- do.call(rbind, rows)
num <- vapply(out, is.numeric, TRUE)
out[num] <- lapply(out[num], function(v) sprintf("%.17g", v))
write.csv(out, stdout(), row.names = FALSE, quote = FALSE)
