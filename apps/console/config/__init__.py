"""The console's Settings area (系统配置): account settings, senders, security policy, login page
branding, LDAP service accounts and OIDC signing keys. Every page needs system_config_write."""
