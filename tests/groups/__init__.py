"""Tests of the group hubs that cross processes: RedisGroups on a real redis-server."""
