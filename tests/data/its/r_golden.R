# Golden values for tests/test_its_kr.py: Kenward-Roger (pbkrtest) and quasi-Poisson (glm) in R.
#
# Regenerate (R 4.2, nlme 3.1, lme4, pbkrtest 0.5.2, jsonlite), from the repository root:
#   Rscript tests/data/its/r_golden.R        # writes tests/data/its/r_golden.json
#
# 1. lmer models pbkrtest accepts (its public API): pooled ITS of cigarette sales in six states with
#    a random intercept, and with a random intercept and a random time slope, REML. Gives vcov,
#    vcovAdj, get_Lb_ddf for the four ITS contrasts, and KRmodcomp for the joint test of the two
#    trend terms (time and slope).
#    The Python side rebuilds Sigma = sum_i theta_i G_i from the R variance components and must
#    reproduce these numbers: that checks evalkit's Kenward-Roger algebra on structures linear in theta.
# 2. gls with AR(1) errors by REML (nlme), three ITS series: simulated (ar1_simulated.csv), the
#    Sicily rate per 100,000 with two Fourier pairs, and California vs three states (controlled ITS). pbkrtest's KR is generic given Sigma and
#    the derivative matrices G_i = dSigma/dtheta_i; its lmer front end only builds them for lmer
#    models, so here they are built for Sigma = sigma2 * C(rho), C_ij = rho^|i-j| within a series,
#    theta = (sigma2, rho), and passed to pbkrtest's own vcovAdj_internal (vcovAdj.lmerMod's worker)
#    and Lb_ddf (get_Lb_ddf.lmerMod's worker). Like pbkrtest, no second-derivative term R_ij.
#    rho is the REML maximum found by optimize() on nlme's restricted log-likelihood (tol 1e-12),
#    tighter than gls's default optimiser; the default gls fit is recorded too.
# 3. glm(family = quasipoisson) with a log offset on the Sicily series (Lopez Bernal et al. 2017):
#    summary.glm (t(n - p) p-values) and Wald intervals est +- qt(0.975, n - p) se, with IRLS run
#    to convergence (glm.control(epsilon = 1e-12); see qp_case).
suppressMessages({library(nlme); library(lme4); library(pbkrtest); library(jsonlite)})

args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", args, value = TRUE))))
wide <- read.csv(file.path(here, "prop99_cigsale_wide.csv"), check.names = FALSE)
long <- data.frame(state = rep(wide$state, times = ncol(wide) - 1),
                   year = rep(as.integer(names(wide)[-1]), each = nrow(wide)),
                   cigsale = unlist(wide[, -1], use.names = FALSE))
long <- long[order(long$state, long$year), ]
sicily <- read.csv(file.path(here, "sicily.csv"))
# a simulated monthly series, AR(1) rho = 0.5, T = 48, change at period 25 (written once, then read)
sim_file <- file.path(here, "ar1_simulated.csv")
if (!file.exists(sim_file)) {
  set.seed(20261203)
  t <- 0:47
  y <- 20 + 0.1 * t - 3 * (t >= 24) + 0.2 * (t - 24) * (t >= 24) + arima.sim(list(ar = 0.5), n = 48)
  write.csv(data.frame(period = t + 1, y = round(as.numeric(y), 4)), sim_file, row.names = FALSE)
}
sim <- read.csv(sim_file)

# evalkit's design: const, time = 0..T-1, level = 1[t >= t0], slope = (t - t0) 1[t >= t0]
its_cols <- function(t, t0) cbind(const = 1, time = t, level = as.numeric(t >= t0),
                                  slope = (t - t0) * (t >= t0))
# the four effects as contrast vectors; an effect whose terms are not in the model is left out
contrasts_for <- function(names, prefix = "") {
  terms <- list(pre_trend = "time", level_change = "level", slope_change = "slope",
                post_trend = c("time", "slope"))
  out <- lapply(terms, function(x) as.numeric(names %in% paste0(prefix, x)))
  out[sapply(terms, function(x) all(paste0(prefix, x) %in% names))]
}

# ------------------------------------------------------------------ 1. lmer (pbkrtest public API)
six <- long[long$state %in% c("Alabama", "Arkansas", "California", "Colorado", "Connecticut",
                              "Delaware"), ]
six <- cbind(six, its_cols(six$year - 1970, 1989 - 1970)[, -1])
lmer_case <- function(formula, reduced) {
  fit <- lmer(formula, data = six, REML = TRUE)
  X <- getME(fit, "X")
  vc <- as.data.frame(VarCorr(fit))  # grp, var1, var2, vcov (variances, then covariances)
  Zt <- as.matrix(getME(fit, "Zt"))
  L <- contrasts_for(colnames(X))
  joint <- rbind(L$pre_trend, L$slope_change)   # time and slope, as the reduced model drops
  kr <- KRmodcomp(fit, update(fit, reduced))
  list(formula = deparse(formula), names = colnames(X), varcorr = vc[, c("grp", "var1", "var2", "vcov")],
       beta = unname(fixef(fit)), vcov = unname(as.matrix(vcov(fit))),
       vcovAdj = unname(as.matrix(vcovAdj(fit))),
       ddf = lapply(L, function(l) get_Lb_ddf(fit, l)),
       joint_L = unname(joint), joint_ddf = kr$stats$ddf, joint_Fscaling = kr$stats$F.scaling,
       joint_Fstat = kr$stats$Fstat, joint_FstatU = kr$stats$FstatU, joint_p = kr$stats$p.value)
}
lmer_out <- list(
  intercept = lmer_case(cigsale ~ time + level + slope + (1 | state), . ~ . - time - slope),
  slope = lmer_case(cigsale ~ time + level + slope + (1 + time | state), . ~ . - time - slope))

# ------------------------------------------------------------------ 2. gls AR(1) + pbkrtest KR
ar1_case <- function(y, X, unit, prefix = "") {
  d <- data.frame(y = y, unit = factor(unit, levels = unique(unit)))
  d$X <- X
  loglik <- function(r) as.numeric(logLik(gls(y ~ X - 1, data = d, method = "REML",
                                              correlation = corAR1(r, form = ~ 1 | unit, fixed = TRUE))))
  rho <- optimize(loglik, c(-0.99, 0.99), maximum = TRUE, tol = 1e-12)$maximum
  default <- gls(y ~ X - 1, data = d, method = "REML", correlation = corAR1(form = ~ 1 | unit))
  fit <- gls(y ~ X - 1, data = d, method = "REML",
             correlation = corAR1(rho, form = ~ 1 | unit, fixed = TRUE))
  s2 <- fit$sigma^2                       # marginal variance sigma2 = s2_innovation / (1 - rho^2)
  n <- length(y)
  C <- dC <- matrix(0, n, n)
  for (u in levels(d$unit)) {
    i <- which(d$unit == u)               # rows of one series, in time order
    lag <- abs(outer(seq_along(i), seq_along(i), "-"))
    C[i, i] <- rho^lag
    dC[i, i] <- ifelse(lag == 0, 0, lag * rho^pmax(lag - 1, 0))
  }
  SigmaG <- list(Sigma = s2 * C, G = list(C, s2 * dC), n.ggamma = 2)  # d/dsigma2, d/drho
  Phi <- as.matrix(vcov(fit))
  PhiA <- pbkrtest:::vcovAdj_internal(Phi, SigmaG, X)
  L <- contrasts_for(colnames(X), prefix)
  list(names = colnames(X), rho = rho, rho_gls_default = as.numeric(coef(default$modelStruct$corStruct,
       unconstrained = FALSE)), loglik = as.numeric(logLik(fit)), sigma2 = s2, beta = unname(coef(fit)),
       Phi = unname(Phi), PhiA = unname(as.matrix(PhiA)),
       effects = lapply(L, function(l) ar1_effect(l, coef(fit), PhiA, Lb_ddf(l, Phi, PhiA))))
}
# one effect as ITSResult reports it: Wald t with Phi_A on pbkrtest's ddf (for one contrast
# KRmodcomp's F scaling is 1), two-sided p-value and 95 % interval
ar1_effect <- function(l, beta, PhiA, ddf) {
  est <- sum(l * beta); se <- sqrt(as.numeric(t(l) %*% as.matrix(PhiA) %*% l))
  list(estimate = est, se_adj = se, ddf = ddf, p = 2 * pt(-abs(est / se), ddf),
       ci_low = est - qt(0.975, ddf) * se, ci_high = est + qt(0.975, ddf) * se)
}

X_sim <- its_cols(sim$period - 1, 24)

sic_t <- sicily$time - 1
X_sic <- cbind(its_cols(sic_t, 36), sin1 = sin(sicily$month * 2 * pi / 12), sin2 = sin(sicily$month * 4 * pi / 12),
               cos1 = cos(sicily$month * 2 * pi / 12), cos2 = cos(sicily$month * 4 * pi / 12))
rate <- sicily$aces / sicily$stdpop * 1e5

four <- long[long$state %in% c("Alabama", "Arkansas", "California", "Colorado"), ]
base <- its_cols(four$year - 1970, 1989 - 1970)
group <- as.numeric(four$state == "California")
X_ctl <- cbind(base, group = group, "group:time" = group * base[, "time"],
               "group:level" = group * base[, "level"], "group:slope" = group * base[, "slope"])

# (California alone is not used: its REML rho is at the 0.99 bound, a near unit root, where the
# Kenward-Roger df degenerate to ~0.005)
ar1_out <- list(simulated = ar1_case(sim$y, X_sim, rep(1, nrow(sim))),
                sicily_rate = ar1_case(rate, X_sic, rep(1, nrow(sicily))),
                controlled = ar1_case(four$cigsale, X_ctl, four$state, prefix = "group:"))

# ------------------------------------------------------------------ 3. quasi-Poisson glm
# glm's default epsilon = 1e-8 stops after 3 IRLS iterations here, when the Pearson dispersion is
# still 2e-6 (relative) from its converged value (the coefficients agree to 1e-10); the golden
# values use epsilon = 1e-12, and the default fit's dispersion and p-values are recorded beside them
qp_case <- function(X) {
  default <- glm(sicily$aces ~ X - 1 + offset(log(sicily$stdpop)), family = quasipoisson)
  fit <- glm(sicily$aces ~ X - 1 + offset(log(sicily$stdpop)), family = quasipoisson,
             control = glm.control(epsilon = 1e-12, maxit = 100))
  s <- summary(fit)$coefficients
  df <- fit$df.residual
  L <- contrasts_for(colnames(X))
  one <- function(l) {
    est <- sum(l * coef(fit)); se <- sqrt(as.numeric(t(l) %*% vcov(fit) %*% l))
    list(estimate = est, se = se, p = 2 * pt(-abs(est / se), df),
         ci_low = est - qt(0.975, df) * se, ci_high = est + qt(0.975, df) * se)
  }
  list(names = colnames(X), coef = unname(s[, 1]), se = unname(s[, 2]), p = unname(s[, 4]),
       dispersion = summary(fit)$dispersion, df_residual = df, effects = lapply(L, one),
       default_epsilon = list(dispersion = summary(default)$dispersion,
                              p = unname(summary(default)$coefficients[, 4])))
}
X_both <- its_cols(sic_t, 36)
X_level_season <- X_sic[, c("const", "time", "level", "sin1", "sin2", "cos1", "cos2")]
qp_out <- list(both = qp_case(X_both), level_fourier2 = qp_case(X_level_season))

write_json(list(lmer = lmer_out, ar1 = ar1_out, quasipoisson = qp_out,
                R = R.version.string, pbkrtest = as.character(packageVersion("pbkrtest")),
                nlme = as.character(packageVersion("nlme")), lme4 = as.character(packageVersion("lme4"))),
           file.path(here, "r_golden.json"), digits = I(17), auto_unbox = TRUE, pretty = TRUE)
