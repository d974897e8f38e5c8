@tool
extends EditorPlugin
## Enabling the plugin adds the autoload `Analytics` (analytics.gd, a Hamustro node);
## disabling it removes it. The class works without the plugin: add your own autoload
## whose script `extends Hamustro` instead, if you prefer another name.

const AUTOLOAD := "Analytics"


func _enable_plugin() -> void:
	add_autoload_singleton(AUTOLOAD, "res://addons/hamustro/analytics.gd")


func _disable_plugin() -> void:
	remove_autoload_singleton(AUTOLOAD)
