"""The dashboard (`channelsim dashboard`): a Solara page around ChannelModels, for a class.

`app` is the page (it needs the `viz` extra): a run view, compare mode and the strategy
map (the built-in one in `map_china/`); `server` serves it.
"""
