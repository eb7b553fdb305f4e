/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vivarium.h"

G_BEGIN_DECLS

/* Applies a fresh listing of @client's sandboxes to the model: the same
 * diff a refresh does, for tests and the benchmark. */
void _viv_sandbox_list_apply (VivSandboxList *self,
                              VivClient      *client,
                              GPtrArray      *sandboxes);

G_END_DECLS
