/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "viv-files-directory.h"
#include "viv-files-item.h"
#include "viv-files-panel.h"

G_BEGIN_DECLS

struct _VivFilesPanel
{
  GtkWidget           parent_instance;

  GtkLabel           *path_label;
  GtkStack           *content_stack;
  GtkListView        *list_view;
  AdwStatusPage      *error_page;
  GtkWidget          *transfer_scroller;
  GtkListBox         *transfer_list;
  GtkLabel           *selection_label;
  AdwStatusPage      *empty_page;
  GMenuModel         *row_menu;
  GtkWidget          *row_popover;   /* the rows' context menu, ours */
  GMenuModel         *background_menu;
  GtkWidget          *background_popover; /* the folder's, where no row is; ours */
  guint               retry_source;   /* listing again after a failure while running */
  guint               retries;

  VivSandbox         *sandbox;
  VivFiles           *files;
  GCancellable       *cancellable;   /* the sandbox's: cancelled when it changes */
  char               *home;
  char               *path;          /* the shown folder */
  VivFilesDirectory  *directory;     /* not owned: the model owns it */
  GtkSingleSelection *selection;
  GtkFilter          *hidden_filter; /* on every folder's model, shown or expanded */
  gboolean            show_hidden;
  GPtrArray          *transfers;
  gint64              asked_at;      /* when the shown folder was asked for */
  gint64              loaded_at;     /* when its rows were in */
  gulong              paint_handler;
  GdkFrameClock      *paint_clock;
};

void          _viv_files_panel_show_path        (VivFilesPanel *self,
                                                 const char    *path);
VivFilesItem *_viv_files_panel_get_selected     (VivFilesPanel *self);
void          _viv_files_panel_upload           (VivFilesPanel *self,
                                                 GListModel    *files);
void          _viv_files_panel_reload           (VivFilesPanel *self);
void          _viv_files_panel_cancel_transfers (VivFilesPanel *self);
gboolean      _viv_files_panel_popup_row_menu   (VivFilesPanel *self,
                                                 GtkWidget     *widget,
                                                 double         x,
                                                 double         y);
void          _viv_files_panel_class_init_actions (GtkWidgetClass *widget_class);

G_END_DECLS
