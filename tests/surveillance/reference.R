# The reference side of scripts/detectors-vs-r: R's surveillance package (Debian's r-cran-surveillance)
# on the series in a directory. For each series.txt it writes series.<method>.R.txt with the alarm days
# (numbered from 0), one per line: EARS C1, C2, C3 (earsC with its defaults) and CUSUM
# (algo.cusum, standard transformation, k = 1.04, h = 2.26, monitored from day 28).
suppressMessages(library(surveillance))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
for (file in list.files(dir, pattern = "^series-[0-9]+\\.txt$", full.names = TRUE)) {
  x <- scan(file, quiet = TRUE)
  n <- length(x)
  base <- sub("\\.txt$", "", file)
  for (method in c("C1", "C2", "C3")) {
    res <- earsC(sts(observed = matrix(x, ncol = 1)), control = list(method = method))
    first <- switch(method, C1 = 7, C2 = 9, C3 = 11)  # range start (1-based) is baseline + 1, + 3, + 5
    flags <- as.vector(alarms(res))
    flags[is.na(flags)] <- FALSE
    days <- which(flags) + first - 1  # 1-based row of the range -> 0-based day
    writeLines(as.character(days), paste0(base, ".", method, ".R.txt"))
  }
  start <- 28  # 0-based first monitored day
  dp <- suppressWarnings(create.disProg(week = 1:n, observed = x, state = rep(0, n)))  # deprecated, still the input of algo.cusum
  cus <- algo.cusum(dp, control = list(range = (start + 1):n, k = 1.04, h = 2.26, trans = "standard"))
  flags <- as.vector(cus$alarm)
  flags[is.na(flags)] <- FALSE
  writeLines(as.character(which(flags == 1) + start - 1), paste0(base, ".cusum.R.txt"))
}
