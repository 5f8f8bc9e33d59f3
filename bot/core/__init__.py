"""Platform-neutral core: services, rendering, i18n. Imports neither discord nor nio."""
