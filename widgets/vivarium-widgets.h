/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#define VIVARIUM_WIDGETS_INSIDE
# include "viv-display-view.h"
# include "viv-sandbox-tile.h"
#undef VIVARIUM_WIDGETS_INSIDE
