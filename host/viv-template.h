/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a sandbox starts with. Built-ins are "base" (no display) and "desktop"
 * (Xvnc on :0 with a session, and noVNC where E2B's desktop SDK looks for it);
 * user templates are key files in STATE/templates/<name>.template:
 *
 *   [Template]
 *   Session=openbox        # openbox, xfce or none; absent: no display
 *   Resolution=1280x800
 *   Env=LANG=C.UTF-8;EDITOR=nano;
 *   CpuCount=2
 *   MemoryMB=2048
 *   Layer=true             # STATE/templates/<name>/ holds a saved writable layer
 */
typedef struct
{
  char     *name;
  char     *session;     /* NULL: no display */
  int       width;
  int       height;
  GStrv     env;         /* NAME=VALUE */
  int       cpu_count;
  int       memory_mb;
  int       disk_mb;
  char     *layer_dir;   /* a saved writable layer copied into new sandboxes, or NULL */
} VivTemplate;

VivTemplate *viv_template_new_builtin (const char   *name);
VivTemplate *viv_template_load        (const char   *templates_dir,
                                       const char   *name,
                                       GError      **error);
gboolean     viv_template_save        (VivTemplate  *self,
                                       const char   *templates_dir,
                                       GError      **error);
void         viv_template_free        (VivTemplate  *self);
gboolean     viv_template_name_is_valid (const char *name);
/* Every template: the built-ins, then the user's (name -> VivTemplate). */
GHashTable  *viv_template_load_all    (const char   *templates_dir);
/* The session to use for a desktop: xfce when installed, else openbox. */
const char  *viv_template_default_session (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VivTemplate, viv_template_free)

G_END_DECLS
