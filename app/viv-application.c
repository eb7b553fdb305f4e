/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-application.h"
#include "viv-preferences-window.h"
#include "viv-main-window.h"

struct _VivApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  VivAccounts    *accounts;
};

G_DEFINE_FINAL_TYPE (VivApplication, viv_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "sandbox", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_("Open the sandbox with this id"), N_("ID") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Show the version and exit"), NULL },
  { NULL }
};

/* The schema is looked up rather than assumed: g_settings_new() aborts when
 * it is missing, and a build tree has it only in its own data/ directory. */
static GSettings *
create_settings (const char *application_id)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchemaSource) build_source = NULL;
  g_autoptr (GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, application_id, TRUE);

  if (schema == NULL)
    {
      build_source = g_settings_schema_source_new_from_directory (VIV_BUILD_SCHEMA_DIR, source,
                                                                  FALSE, NULL);
      if (build_source != NULL)
        schema = g_settings_schema_source_lookup (build_source, application_id, FALSE);
    }

  if (schema == NULL)
    {
      g_warning ("The settings schema %s is not installed; settings are not kept",
                 application_id);
      return NULL;
    }

  return g_settings_new_full (schema, NULL, NULL);
}

static VivMainWindow *
ensure_window (VivApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (viv_main_window_new (self));
  return VIV_MAIN_WINDOW (window);
}

static void
viv_application_activate (GApplication *application)
{
  gtk_window_present (GTK_WINDOW (ensure_window (VIV_APPLICATION (application))));
}

static int
viv_application_handle_local_options (GApplication *application,
                                      GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
      return 0;
    }

  return -1;
}

static int
viv_application_command_line (GApplication            *application,
                              GApplicationCommandLine *command_line)
{
  VivApplication *self = VIV_APPLICATION (application);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  const char *sandbox_id = NULL;
  VivMainWindow *window;

  window = ensure_window (self);
  if (g_variant_dict_lookup (options, "sandbox", "&s", &sandbox_id))
    viv_main_window_open_sandbox_id (window, sandbox_id);
  gtk_window_present (GTK_WINDOW (window));

  return 0;
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  VivApplication *self = user_data;
  static const char *developers[] = { "The Vivarium developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                        "application-name", _("Vivarium"),
                        "application-icon", g_application_get_application_id (G_APPLICATION (self)),
                        "developer-name", _("The Vivarium developers"),
                        "version", PACKAGE_VERSION,
                        "website", "https://github.com/vivarium/vivarium",
                        "issue-url", "https://github.com/vivarium/vivarium/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: put your names here, one a line */
                        "translator-credits", _("translator-credits"),
                        "comments", _("Supervise AI agents on sandboxed desktops"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  VivApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  VivPreferencesWindow *preferences = viv_preferences_window_new (self);

  gtk_window_set_transient_for (GTK_WINDOW (preferences), parent);
  gtk_window_present (GTK_WINDOW (preferences));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "about", about_action },
  { "preferences", preferences_action },
};

static void
apply_list_interval (VivApplication *self)
{
  double seconds = self->settings ? g_settings_get_double (self->settings, "list-refresh-interval") : 3.0;

  viv_sandbox_list_set_interval (viv_accounts_get_sandboxes (self->accounts),
                                 MAX (1, (guint) (seconds + 0.5)));
}

static void
viv_application_startup (GApplication *application)
{
  VivApplication *self = VIV_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  static const char *new_accels[] = { "<Control>n", NULL };
  static const char *search_accels[] = { "<Control>f", NULL };
  static const char *overview_accels[] = { "<Alt>Left", NULL };
  static const char *fullscreen_accels[] = { "F11", NULL };
  static const char *take_over_accels[] = { "<Control><Shift>t", NULL };

  G_APPLICATION_CLASS (viv_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.new-sandbox", new_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", search_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-overview",
                                         overview_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "session.fullscreen",
                                         fullscreen_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "session.take-over",
                                         take_over_accels);

  self->settings = create_settings (g_application_get_application_id (application));
  self->accounts = viv_accounts_new ();
  apply_list_interval (self);
  if (self->settings != NULL)
    g_signal_connect_object (self->settings, "changed::list-refresh-interval",
                             G_CALLBACK (apply_list_interval), self, G_CONNECT_SWAPPED);
}

static void
viv_application_shutdown (GApplication *application)
{
  VivApplication *self = VIV_APPLICATION (application);

  G_APPLICATION_CLASS (viv_application_parent_class)->shutdown (application);

  if (self->accounts != NULL)
    g_object_run_dispose (G_OBJECT (self->accounts));
}

static void
viv_application_dispose (GObject *object)
{
  VivApplication *self = VIV_APPLICATION (object);

  g_clear_object (&self->accounts);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (viv_application_parent_class)->dispose (object);
}

static void
viv_application_class_init (VivApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = viv_application_dispose;
  application_class->activate = viv_application_activate;
  application_class->startup = viv_application_startup;
  application_class->shutdown = viv_application_shutdown;
  application_class->command_line = viv_application_command_line;
  application_class->handle_local_options = viv_application_handle_local_options;
}

static void
viv_application_init (VivApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Supervise AI agents on sandboxed desktops."));
}

VivApplication *
viv_application_new (const char *application_id)
{
  g_return_val_if_fail (application_id != NULL, NULL);

  return g_object_new (VIV_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/io/github/vivarium/Vivarium",
                       NULL);
}

VivAccounts *
viv_application_get_accounts (VivApplication *self)
{
  g_return_val_if_fail (VIV_IS_APPLICATION (self), NULL);

  return self->accounts;
}

/**
 * viv_application_get_settings:
 *
 * Returns: (nullable): the settings, or %NULL when the schema is not installed
 */
GSettings *
viv_application_get_settings (VivApplication *self)
{
  g_return_val_if_fail (VIV_IS_APPLICATION (self), NULL);

  return self->settings;
}
