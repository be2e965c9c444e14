# The R side of `weijian bench detectors`: the same detectors (EARS C1–C3 and CUSUM) in R's surveillance
# package over 50 series of 3,650 days like the benchmark's, extrapolated to its 8,800 series.
#   Rscript tests/surveillance/bench.R
suppressMessages(library(surveillance))
set.seed(1)
k <- 50
series <- lapply(1:k, function(i) rpois(3650, c(0.2, 0.8, 2, 5)[(i - 1) %% 4 + 1]))
t0 <- proc.time()[["elapsed"]]
for (x in series) {
  s <- sts(observed = matrix(x, ncol = 1))
  for (m in c("C1", "C2", "C3")) invisible(earsC(s, control = list(method = m)))
  dp <- suppressWarnings(create.disProg(week = 1:3650, observed = x, state = rep(0, 3650)))
  invisible(algo.cusum(dp, control = list(range = 366:3650, k = 1.04, h = 2.26, trans = "standard")))
}
el <- proc.time()[["elapsed"]] - t0
cat(sprintf("R: %d series of 3650 days, EARS C1-C3 + CUSUM: %.2f s; %.3f s per series; 8800 series: %.0f s\n", k, el, el / k, el / k * 8800))
# Farrington (algo.farrington, b = 5, w = 3) on weekly sums of 20 such series, extrapolated likewise.
k <- 20
weekly <- lapply(series[1:k], function(x) sapply(seq(1, 3644, by = 7), function(i) sum(x[i:(i + 6)])))
t0 <- proc.time()[["elapsed"]]
for (x in weekly) {
  n <- length(x)
  dp <- suppressWarnings(create.disProg(week = 1:n, observed = x, state = rep(0, n), freq = 52))
  invisible(suppressWarnings(algo.farrington(dp, control = list(b = 5, w = 3))))
}
el <- proc.time()[["elapsed"]] - t0
cat(sprintf("R: %d weekly series of %d weeks, Farrington: %.2f s; %.3f s per series; 8800 series: %.0f s\n", k, length(weekly[[1]]), el, el / k, el / k * 8800))
