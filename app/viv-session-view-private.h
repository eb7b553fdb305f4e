/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <vivarium-widgets.h>

#include "viv-action-log.h"
#include "viv-details-panel.h"
#include "viv-files-panel.h"
#include "viv-processes-panel.h"
#include "viv-session-view.h"

G_BEGIN_DECLS

struct _VivSessionView
{
  GtkWidget         parent_instance;

  /* Template widgets */
  GtkRevealer      *header_revealer;
  AdwWindowTitle   *window_title;
  GtkStack         *takeover_stack;
  GtkRevealer      *takeover_revealer;
  GtkLabel         *takeover_label;
  GtkStack         *content_stack;
  VivDisplayView   *display_view;
  GtkWidget        *connecting_box;
  AdwFlap          *flap;
  AdwViewStack     *panel_stack;
  VivFilesPanel    *files_panel;
  VivProcessesPanel *processes_panel;
  VivDetailsPanel  *details_panel;
  VivActionLog     *action_log;

  VivSandbox       *sandbox;
  VivDesktop       *desktop;           /* the guest's desktop API: the takeover lock */
  GSignalGroup     *sandbox_signals;
  VivDisplayStream *stream;
  GCancellable     *cancellable;       /* everything done for the current sandbox */
  GCancellable     *stream_cancellable;
  guint             retry_source;
  guint             retry_seconds;
  guint             poll_source;
  gulong            fullscreen_handler;

  char             *holder;
  gboolean          taken_over;
  gboolean          no_guest;          /* taken over, but nobody to tell */
  gboolean          busy;              /* a takeover change is on its way */
  gboolean          no_display;
  gboolean          one_to_one;
};

/* viv-session-view.c */
void _viv_session_view_connect_display  (VivSessionView *self);
void _viv_session_view_update_actions   (VivSessionView *self);
void _viv_session_view_set_taken_over   (VivSessionView *self,
                                         gboolean        taken_over,
                                         gboolean        no_guest);

/* viv-session-view-actions.c */
void _viv_session_view_class_init_actions (GtkWidgetClass *widget_class);
void _viv_session_view_release_takeover   (VivSessionView *self);

G_END_DECLS
