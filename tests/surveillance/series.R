# Makes the test series of scripts/detectors-vs-r: daily Poisson counts at several levels, weekly and
# yearly seasonality, and injected outbreaks, from a fixed seed (the same series every run).
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
set.seed(20261123)
i <- 0
for (lambda in c(1.5, 4, 9, 25, 60)) {
  for (shape in 1:4) {
    n <- 730
    t <- 1:n
    mu <- lambda * (1 + 0.3 * (shape >= 2) * sin(2 * pi * t / 365) + 0.15 * (shape >= 3) * (t %% 7 < 2))
    x <- rpois(n, mu)
    if (shape == 4) x[n] <- x[n]  # a plain seasonal series, no outbreak
    else for (k in 1:4) { s <- sample(40:(n - 10), 1); x[s:(s + 4)] <- x[s:(s + 4)] + rpois(5, 3 * lambda + 2) }
    i <- i + 1
    writeLines(as.character(x), file.path(dir, sprintf("series-%02d.txt", i)))
  }
}
# Weekly series for Farrington: 10 years of weekly counts, seasonal, some with a trend and outbreaks.
for (j in 1:12) {
  n <- 520
  t <- 1:n
  level <- c(3, 8, 20, 50)[(j - 1) %% 4 + 1]
  mu <- level * exp(0.5 * sin(2 * pi * t / 52) + (j > 6) * 0.002 * t)
  x <- rnbinom(n, mu = mu, size = 10)
  for (k in 1:3) { s <- sample(300:(n - 4), 1); x[s:(s + 2)] <- x[s:(s + 2)] + rpois(3, 2 * level) }
  writeLines(as.character(x), file.path(dir, sprintf("weekly-%02d.txt", j)))
}
