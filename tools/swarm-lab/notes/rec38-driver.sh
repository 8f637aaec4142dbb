#!/bin/bash
# 2026-12-08c session driver (helper fid38): rec34-driver.sh run from the fid38 research copy
# under the 08c session label (same steps: --multi for the three-node lab, NAME RUN pairs).
# usage: rec38-driver.sh [--multi] NAME RUN [NAME RUN ...]
REC_HOME=/work/rec/fidelity38 SESSION=2026-12-08c exec bash "$(dirname "$0")/rec34-driver.sh" "$@"
