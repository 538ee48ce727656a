"""The dashboard (`channelsim dashboard`): Mesa's SolaraViz around a ChannelModel.

`app` is the Solara page (it needs the `viz` extra); `server` serves it.
"""
