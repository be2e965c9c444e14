# The reference side of the Farrington comparison in scripts/detectors-vs-r: R's algo.farrington (b = 5,
# w = 3, reweighting, trend test, alpha 0.05, 2/3-power threshold) on weekly series. For each
# weekly-NN.txt it writes weekly-NN.farrington.R.txt: period (0-based), upper bound, alarm (0/1).
suppressMessages(library(surveillance))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
for (file in list.files(dir, pattern = "^weekly-[0-9]+\\.txt$", full.names = TRUE)) {
  x <- scan(file, quiet = TRUE)
  n <- length(x)
  dp <- suppressWarnings(create.disProg(week = 1:n, observed = x, state = rep(0, n), freq = 52))
  res <- suppressWarnings(algo.farrington(dp, control = list(b = 5, w = 3, reweight = TRUE, trend = TRUE, alpha = 0.05)))
  range <- (52 * 5 - 3):n
  out <- sprintf("%d\t%.10g\t%d", range - 1, as.vector(res$upperbound), as.integer(as.vector(res$alarm)))
  writeLines(out, sub("\\.txt$", ".farrington.R.txt", file))
}
