/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#define VIVARIUM_INSIDE
# include "viv-enums.h"
# include "viv-error.h"
# include "viv-account.h"
# include "viv-metric.h"
# include "viv-sandbox.h"
# include "viv-client.h"
# include "viv-sandbox-list.h"
# include "viv-files.h"
# include "viv-processes.h"
# include "viv-display-stream.h"
# include "viv-desktop.h"
#undef VIVARIUM_INSIDE
