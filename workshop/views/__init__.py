"""The blueprints. Module name = blueprint name = endpoint prefix; a view never imports
another view: what two share lives in control.py, access.py, web.py or a service."""
