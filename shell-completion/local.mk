# SPDX-License-Identifier: LGPL-2.1-or-later
# shell-completion/: bash completion for udrvctl, installed where bash-completion loads it.
dist_bashcompletion_DATA = shell-completion/bash/udrvctl
EXTRA_DIST += shell-completion/README.md

TESTS += tests/fixture/completion-bash.sh
EXTRA_DIST += tests/fixture/completion-bash.sh tests/fixture/complete.bash
