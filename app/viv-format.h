/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <vivarium.h>

G_BEGIN_DECLS

char       *viv_format_duration   (GTimeSpan        span);
char       *viv_format_age        (VivSandbox      *sandbox);
char       *viv_format_time_left  (VivSandbox      *sandbox);
const char *viv_format_state      (VivSandboxState  state);
const char *viv_format_state_css  (VivSandboxState  state);
char       *viv_format_details    (VivSandbox      *sandbox);

G_END_DECLS
