extends Hamustro
## The autoload the plugin adds: a Hamustro node, kept across scenes. Configure it once
## from your first scene, or copy example.gd's _ready() here:
##     Analytics.configure({"collector_url": ..., "shared_secret_key": ..., ...})
