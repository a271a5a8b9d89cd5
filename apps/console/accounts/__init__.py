"""The console's Accounts area (账号管理): the account list, one account's page, CSV import
and export, and a user's app permissions. Views parse input and render; every read goes
through the directory and permissions queries, every write through their actions."""
