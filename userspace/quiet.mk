# SPDX-License-Identifier: GPL-2.0
# Quiet builds, as Kbuild's: "  CC      file" lines; V=1 shows the commands.
ifeq ($(V),1)
Q :=
say := @true
else
Q := @
say := @printf '  %-7s %s\n'
endif
