#!/bin/sh
# Turns the console output of //retrieval:hnsw_benchmark (one file per data set, median
# aggregates) into markdown tables, a CSV (dataset,lib,ef,recall,qps) and an SVG recall/QPS plot.
# Usage: hnsw_tables.sh OUT_PREFIX FILE...   (writes OUT_PREFIX.md, OUT_PREFIX.csv, OUT_PREFIX.svg)
out=$1; shift
awk -v md="$out.md" -v csv="$out.csv" -v svg="$out.svg" '
function num(s,   v) { v = s; if (v ~ /k$/) { sub(/k$/, "", v); return v * 1000 } if (v ~ /M$/) { sub(/M$/, "", v); return v * 1e6 } return v + 0 }
function field(line, key,   i, n, parts) { n = split(line, parts, /[ \t]+/); for (i = 1; i <= n; i++) if (index(parts[i], key "=") == 1) return num(substr(parts[i], length(key) + 2)); return "" }
/_median/ && /^BM_Search/ {
  split($1, p, "/"); ds = p[2]; ef = p[3]; sub(/ef:/, "", ef); lib = p[4]
  r = field($0, "recall"); q = field($0, "qps_cpu")
  if (!(ds in seen)) { seen[ds] = 1; order[++nds] = ds }
  if (!((ds, ef) in efseen)) { efseen[ds, ef] = 1; efs[ds, ++nef[ds]] = ef }
  if (!((ds, lib) in libseen)) { libseen[ds, lib] = 1; libs[ds, ++nlib[ds]] = lib }
  R[ds, lib, ef] = r; Q[ds, lib, ef] = q
  print ds "," lib "," ef "," r "," q > csv
}
/_median/ && /^BM_Build/ {
  split($1, p, "/"); ds = p[2]; lib = p[3]
  B[ds, lib] = field($0, "build_s"); H[ds, lib] = field($0, "heap_MB")
}
# q/s at recall 0.95 by linear interpolation between the two ef points around it.
function at95(ds, lib,   i, e0, e1, r0, r1) {
  for (i = 1; i < nef[ds]; i++) {
    e0 = efs[ds, i]; e1 = efs[ds, i + 1]; r0 = R[ds, lib, e0]; r1 = R[ds, lib, e1]
    if (r0 == "" || r1 == "") continue
    if (i == 1 && r0 >= 0.95) return Q[ds, lib, e0]
    if (r0 < 0.95 && r1 >= 0.95) return Q[ds, lib, e0] + (Q[ds, lib, e1] - Q[ds, lib, e0]) * (0.95 - r0) / (r1 - r0)
  }
  return ""
}
END {
  printf "| data | llmds q/s @0.95 | hnswlib q/s @0.95 | faiss q/s @0.95 | llmds/hnswlib | llmds build s | hnswlib build s | faiss build s | llmds 2-thread build s | llmds heap MB | hnswlib heap MB | faiss heap MB |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n" > md
  for (d = 1; d <= nds; d++) {
    ds = order[d]; a = at95(ds, "llmds"); b = at95(ds, "hnswlib"); c = at95(ds, "faiss")
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", ds, a == "" ? "-" : sprintf("%.0f", a), b == "" ? "-" : sprintf("%.0f", b), c == "" ? "-" : sprintf("%.0f", c), (a == "" || b == "") ? "-" : sprintf("**%.2fx**", a / b), B[ds, "llmds"], B[ds, "hnswlib"], B[ds, "faiss"] == "" ? "-" : B[ds, "faiss"], B[ds, "llmds_2threads"], H[ds, "llmds"], H[ds, "hnswlib"], H[ds, "faiss"] == "" ? "-" : H[ds, "faiss"] > md
  }
  for (d = 1; d <= nds; d++) {
    ds = order[d]
    printf "\n**%s**\n\n| ef |", ds > md
    for (l = 1; l <= nlib[ds]; l++) printf " %s recall | %s q/s |", libs[ds, l], libs[ds, l] > md
    printf " llmds/hnswlib q/s |\n|---|" > md
    for (l = 1; l <= nlib[ds]; l++) printf "---|---|" > md
    printf "---|\n" > md
    for (e = 1; e <= nef[ds]; e++) {
      ef = efs[ds, e]; printf "| %s |", ef > md
      for (l = 1; l <= nlib[ds]; l++) printf " %.4f | %.0f |", R[ds, libs[ds, l], ef], Q[ds, libs[ds, l], ef] > md
      printf " %.2fx |\n", Q[ds, "llmds", ef] / Q[ds, "hnswlib", ef] > md
    }
  }
  # SVG: one panel per data set, x = recall (0.8 .. 1.0), y = log10 q/s.
  W = 360; Hh = 260; cols = 3; rows = int((nds + cols - 1) / cols)
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">\n", W * cols, Hh * rows + 30 > svg
  printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n" > svg
  color["llmds"] = "#d62728"; color["hnswlib"] = "#1f77b4"; color["faiss"] = "#2ca02c"
  lx = 10
  for (l in color) { printf "<rect x=\"%d\" y=\"8\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"18\">%s</text>\n", lx, color[l], lx + 16, l > svg; lx += 90 }
  for (d = 1; d <= nds; d++) {
    ds = order[d]; ox = ((d - 1) % cols) * W; oy = 30 + int((d - 1) / cols) * Hh
    px0 = ox + 50; px1 = ox + W - 15; py0 = oy + Hh - 35; py1 = oy + 20
    lo = 1e18; hi = 0
    for (l = 1; l <= nlib[ds]; l++) for (e = 1; e <= nef[ds]; e++) { q = Q[ds, libs[ds, l], efs[ds, e]]; if (q > 0 && q < lo) lo = q; if (q > hi) hi = q }
    llo = log(lo) / log(10); lhi = log(hi) / log(10); if (lhi - llo < 0.1) lhi = llo + 0.1
    printf "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", px0, oy + 12, ds > svg
    printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n", px0, py1, px1 - px0, py0 - py1 > svg
    for (t = 0; t <= 4; t++) { rx = 0.8 + 0.05 * t; x = px0 + (rx - 0.8) / 0.2 * (px1 - px0); printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.2f</text>\n", x, py0 + 14, rx > svg }
    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">recall@10</text>\n", (px0 + px1) / 2, py0 + 28 > svg
    for (t = 0; t <= 2; t++) { lv = llo + (lhi - llo) * t / 2; y = py0 - (lv - llo) / (lhi - llo) * (py0 - py1); printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0fk</text>\n", px0 - 3, y + 4, 10 ^ lv / 1000 > svg }
    x95 = px0 + 0.15 / 0.2 * (px1 - px0); printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#bbb\" stroke-dasharray=\"3,3\"/>\n", x95, py1, x95, py0 > svg
    for (l = 1; l <= nlib[ds]; l++) {
      lib = libs[ds, l]; pts = ""
      for (e = 1; e <= nef[ds]; e++) {
        r = R[ds, lib, efs[ds, e]]; q = Q[ds, lib, efs[ds, e]]; if (r < 0.8 || q <= 0) continue
        x = px0 + (r - 0.8) / 0.2 * (px1 - px0); y = py0 - (log(q) / log(10) - llo) / (lhi - llo) * (py0 - py1)
        pts = pts sprintf("%.1f,%.1f ", x, y)
        printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", x, y, color[lib] > svg
      }
      printf "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>\n", pts, color[lib] > svg
    }
  }
  printf "</svg>\n" > svg
}' "$@"
